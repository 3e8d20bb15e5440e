/// A JPEG's header: the frame header's size and components, checked as `JPEGDecoder` checks
/// them, the EXIF orientation, and an end-of-image marker after it, which a file cut short lacks.
enum JPEGHeader {
    static func probe(_ bytes: [UInt8], limits: DecodeLimits) throws(ImageCodecError) -> ImageInfo {
        let metadata = JPEGMetadata.read(bytes)
        guard let frame = metadata.frame else { throw .corrupt("no JPEG frame header before the image data") }
        if frame.isLossless { throw .unsupportedEncoding("lossless JPEG") }
        if frame.precision != 8 { throw .unsupportedEncoding("\(frame.precision)-bit JPEG") }
        let channels: Int
        switch frame.components {
        case 1: channels = 1
        case 3, 4: channels = 3   // colour; CMYK and YCCK are converted to RGB
        default: throw .unsupportedEncoding("JPEG with \(frame.components) components")
        }
        // The decoder returns the picture upright, so the probe reports (and limits) that size.
        let upright = metadata.orientation.upright(width: frame.width, height: frame.height)
        try limits.check(width: upright.width, height: upright.height)
        guard hasEndOfImage(bytes) else { throw .corrupt("premature end of JPEG data (no end-of-image marker)") }
        return ImageInfo(format: .jpeg, width: upright.width, height: upright.height, channels: channels, bitDepth: 8)
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
