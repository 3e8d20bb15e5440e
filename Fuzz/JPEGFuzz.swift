// libFuzzer target for the JPEG decoder (TurboJPEG), its frame-header reader and the probe.
// Properties: a decoded image is within the limits, gray or RGB, with a buffer matching its
// size; the probe agrees with every successful decode; tighter limits give the same image or
// `tooLarge`; the frame header the decoder checks agrees with what TurboJPEG decoded; and PNG
// encode → decode of the decoded (8-bit) pixels is exact. The decoder applies no EXIF
// orientation and no ICC profile, so there is nothing of them to check.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let decoded = attempt { () throws(ImageCodecError) in try ImageCodec.decode(bytes, limits: fuzzLimits) }
    let probed = attempt { () throws(ImageCodecError) in try ImageCodec.probe(bytes, limits: fuzzLimits) }
    if case .success(let info) = probed { checkInfo(info, fuzzLimits, format: .jpeg) }
    checkTightLimits(bytes, loose: decoded)
    guard case .success(let image) = decoded else { return 0 }
    checkShape(image, fuzzLimits, channels: 1...3)
    require(image.channels != 2, "JPEG decoded with 2 channels")
    if let frame = JPEGFrameHeader.find(in: bytes) {
        require(frame.width == image.width && frame.height == image.height,
                     "frame header says \(frame.width)×\(frame.height), TurboJPEG decoded \(image.width)×\(image.height)")
    }
    guard case .success(let info) = probed else { fatalError("decoded, but the probe refused: \(probed)") }
    checkAgreement(info, image)
    checkRoundTrip(image, eightBit: true)
    return 0
}
