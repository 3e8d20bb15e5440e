// libFuzzer target for the PNG decoder (libpng through CPNGRead) and the header probe.
// Properties: a decoded image is within the limits with a buffer matching its size and
// channels; the probe agrees with every successful decode (size, channels, alpha); tighter
// limits give the same image or `tooLarge`; PNG encode → decode is exact for 8-bit files.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let decoded = attempt { () throws(ImageCodecError) in try ImageCodec.decode(bytes, limits: fuzzLimits) }
    let probed = attempt { () throws(ImageCodecError) in try ImageCodec.probe(bytes, limits: fuzzLimits) }
    if case .success(let info) = probed { checkInfo(info, fuzzLimits, format: .png) }
    checkTightLimits(bytes, loose: decoded)
    guard case .success(let image) = decoded else { return 0 }
    checkShape(image, fuzzLimits, channels: 1...4)
    guard case .success(let info) = probed else { fatalError("decoded, but the probe refused: \(probed)") }
    checkAgreement(info, image)
    // A successful decode means a valid IHDR right after the signature; its bit depth is at byte 24.
    checkRoundTrip(image, eightBit: bytes[24] <= 8)
    return 0
}
