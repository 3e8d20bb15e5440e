// libFuzzer target for the JPEG decoder (TurboJPEG), its marker-segment reader (frame header,
// EXIF orientation, Adobe segment) and the probe. Properties: a decoded image is within the
// limits, gray or RGB (CMYK and YCCK become RGB), 8-bit, with a buffer matching its size; the
// probe agrees with every successful decode; tighter limits give the same image or `tooLarge`;
// the frame header the decoder checks agrees with what TurboJPEG decoded, once turned by the
// EXIF orientation: the same pixel count, the sides swapped for orientations 5–8 and kept for
// 1–4; and PNG encode → decode of the decoded (8-bit) pixels is exact. No ICC profile is
// applied, so there is nothing of one to check.

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
    require(image.bitDepth == 8, "JPEG decoded with bit depth \(image.bitDepth)")
    let metadata = JPEGMetadata.read(bytes)
    if let frame = metadata.frame {
        let orientation = metadata.orientation
        require(frame.width * frame.height == image.width * image.height,
                "orientation \(orientation.rawValue) changed the pixel count: frame \(frame.width)×\(frame.height), decoded \(image.width)×\(image.height)")
        let (w, h) = orientation.swapsSides ? (frame.height, frame.width) : (frame.width, frame.height)
        require(w == image.width && h == image.height,
                "frame header says \(frame.width)×\(frame.height) with orientation \(orientation.rawValue), TurboJPEG decoded \(image.width)×\(image.height)")
    }
    guard case .success(let info) = probed else { fatalError("decoded, but the probe refused: \(probed)") }
    checkAgreement(info, image)
    checkRoundTrip(image, eightBit: true)
    return 0
}
