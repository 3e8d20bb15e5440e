/// What an image's header says, read without decoding its pixels.
public struct ImageInfo: Sendable, Equatable {
    public var format: ImageFormat
    public var width: Int
    public var height: Int
    /// The channels `ImageCodec.decode` returns: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
    public var channels: Int
    /// The `bitDepth` of the image `ImageCodec.decode` returns: 16 for a 16-bit PNG, 8 for
    /// every other file (PNGs of 1, 2 or 4 bits are expanded to 8; JPEG is 8-bit).
    public var bitDepth: Int

    public init(format: ImageFormat, width: Int, height: Int, channels: Int, bitDepth: Int = 8) {
        self.format = format; self.width = width; self.height = height; self.channels = channels
        self.bitDepth = bitDepth
    }

    /// True for the gray+alpha and RGBA layouts.
    public var hasAlpha: Bool { channels == 2 || channels == 4 }
}

extension ImageCodec {
    /// Reads the size, channel layout and bit depth from the header (PNG: IHDR and the chunks
    /// before the pixel data; JPEG: the frame header, and the EXIF orientation, so that the size
    /// is the upright one `decode` returns), applying the decoder's limits and refusing what
    /// the decoder would refuse from the header alone, and a file cut short. Allocates no pixel
    /// buffer; damage inside the compressed pixel data is found only by `decode`.
    public static func probe(_ bytes: [UInt8], limits: DecodeLimits = .default) throws(ImageCodecError) -> ImageInfo {
        guard !bytes.isEmpty else { throw .empty }
        switch sniff(bytes) {
        case .png: return try PNGHeader.probe(bytes, limits: limits)
        case .jpeg: return try JPEGHeader.probe(bytes, limits: limits)
        case nil: throw .unsupportedFormat
        }
    }
}
