/// Builds minimal baseline JPEG files by hand: every 8×8 block has a zero DC difference and
/// ends at once (EOB), so the picture is flat mid-gray (sample 128) in every component.
/// Header fields are parameters so tests can produce unsupported or hostile variants.
struct JPEGBuilder {
    var width: Int
    var height: Int
    var components = 1
    var precision = 8
    var sofMarker: UInt8 = 0xC0
    /// Adobe APP14 colour transform (0 = none/CMYK, 1 = YCbCr, 2 = YCCK); nil for no APP14.
    var adobeTransform: UInt8? = nil

    func build() -> [UInt8] {
        var out: [UInt8] = [0xFF, 0xD8]
        if let adobeTransform {
            out += segment(0xEE, Array("Adobe".utf8) + [0x00, 0x64, 0, 0, 0, 0, adobeTransform])
        }
        out += segment(0xDB, [0x00] + [UInt8](repeating: 1, count: 64))
        var sof: [UInt8] = [UInt8(precision)]
        sof.appendBigEndian(UInt16(height))
        sof.appendBigEndian(UInt16(width))
        sof.append(UInt8(components))
        for c in 0..<components { sof += [UInt8(c + 1), 0x11, 0] }
        out += segment(sofMarker, sof)
        // One code of length 1 in each table: DC category 0, AC end-of-block; both code "0".
        let oneCode: [UInt8] = [1] + [UInt8](repeating: 0, count: 15)
        out += segment(0xC4, [0x00] + oneCode + [0x00])
        out += segment(0xC4, [0x10] + oneCode + [0x00])
        var sos: [UInt8] = [UInt8(components)]
        for c in 0..<components { sos += [UInt8(c + 1), 0x00] }
        sos += [0, 63, 0]
        out += segment(0xDA, sos)
        let blocks = ((width + 7) / 8) * ((height + 7) / 8) * components
        let bits = 2 * blocks
        var entropy = [UInt8](repeating: 0, count: (bits + 7) / 8)
        if bits % 8 != 0 { entropy[entropy.count - 1] = 0xFF >> (bits % 8) }   // pad with 1-bits
        out += entropy
        out += [0xFF, 0xD9]
        return out
    }

    private func segment(_ marker: UInt8, _ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0xFF, marker]
        out.appendBigEndian(UInt16(payload.count + 2))
        return out + payload
    }
}
