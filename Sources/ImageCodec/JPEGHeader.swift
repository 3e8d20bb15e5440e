/// A JPEG's header: the frame header's size and components, checked as `JPEGDecoder` checks
/// them, and an end-of-image marker after it, which a file cut short lacks.
enum JPEGHeader {
    static func probe(_ bytes: [UInt8], limits: DecodeLimits) throws(ImageCodecError) -> ImageInfo {
        guard let frame = JPEGFrameHeader.find(in: bytes) else { throw .corrupt("no JPEG frame header before the image data") }
        if frame.isLossless { throw .unsupportedEncoding("lossless JPEG") }
        if frame.precision != 8 { throw .unsupportedEncoding("\(frame.precision)-bit JPEG") }
        switch frame.components {
        case 1, 3: break
        case 4: throw .unsupportedEncoding("4-component (CMYK or YCCK) JPEG")
        default: throw .unsupportedEncoding("JPEG with \(frame.components) components")
        }
        try limits.check(width: frame.width, height: frame.height)
        guard hasEndOfImage(bytes) else { throw .corrupt("premature end of JPEG data (no end-of-image marker)") }
        return ImageInfo(format: .jpeg, width: frame.width, height: frame.height, channels: frame.components)
    }

    /// Whether an EOI marker (FF D9) follows the start of image. Searched from the end, where it
    /// is unless data trails the image; entropy-coded data cannot hold one (an FF there is stuffed).
    static func hasEndOfImage(_ bytes: [UInt8]) -> Bool {
        var i = bytes.count - 1
        while i > 2 {
            if bytes[i] == 0xD9, bytes[i - 1] == 0xFF { return true }
            i -= 1
        }
        return false
    }
}
