// libFuzzer target for the PNG decoder (libpng through CPNGRead) and the header probe.
// Properties: a decoded image is within the limits with a buffer matching its size and
// channels; the probe agrees with every successful decode (size, channels, alpha); tighter
// limits give the same image or `tooLarge`; PNG encode → decode is exact for 8-bit files.
// Almost every mutation breaks a chunk's CRC, which libpng then refuses at once; so each input
// is checked as it is and again with every CRC set right, to reach the code behind the checks.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    check(bytes)
    let sealed = withCorrectCRCs(bytes)
    if sealed != bytes { check(sealed) }
    return 0
}

/// The input with the CRC of every whole chunk recomputed.
func withCorrectCRCs(_ input: [UInt8]) -> [UInt8] {
    var bytes = input
    var offset = ImageCodec.pngSignature.count
    while offset + 12 <= bytes.count {
        let length = bytes.bigEndian32(at: offset)
        guard length <= bytes.count - offset - 12 else { break }
        let crc = CRC32.of(bytes[(offset + 4)..<(offset + 8 + length)])
        for k in 0..<4 { bytes[offset + 8 + length + k] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * k)) }
        offset += 12 + length
    }
    return bytes
}

func check(_ bytes: [UInt8]) {
    let decoded = attempt { () throws(ImageCodecError) in try ImageCodec.decode(bytes, limits: fuzzLimits) }
    let probed = attempt { () throws(ImageCodecError) in try ImageCodec.probe(bytes, limits: fuzzLimits) }
    if case .success(let info) = probed { checkInfo(info, fuzzLimits, format: .png) }
    checkTightLimits(bytes, loose: decoded)
    guard case .success(let image) = decoded else { return }
    checkShape(image, fuzzLimits, channels: 1...4)
    guard case .success(let info) = probed else { fatalError("decoded, but the probe refused: \(probed)") }
    checkAgreement(info, image)
    // A successful decode means a valid IHDR right after the signature; its bit depth is at byte 24.
    checkRoundTrip(image, eightBit: bytes[24] <= 8)
}
