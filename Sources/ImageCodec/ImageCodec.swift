/// Entry points for decoding PNG/JPEG into `Image` and encoding `Image` as PNG.
public enum ImageCodec {
    /// Decodes PNG or JPEG data, chosen by its magic bytes.
    ///
    /// PNG keeps its channel layout (palette becomes RGB, or RGBA with tRNS; a tRNS colour key on
    /// gray/RGB becomes an alpha channel); 8-bit samples become v/255, 16-bit v/65535, with no
    /// gamma conversion; the image's `bitDepth` says which. JPEG yields 1 channel for grayscale
    /// and 3 for colour (RGB, YCbCr, and CMYK or YCCK converted to RGB), turned upright by the
    /// EXIF orientation (values 5–8 swap width and height); the limits apply to the upright size.
    public static func decode(_ bytes: [UInt8], limits: DecodeLimits = .default) throws(ImageCodecError) -> Image {
        guard !bytes.isEmpty else { throw .empty }
        switch sniff(bytes) {
        case .png: return try PNGDecoder.decode(bytes, limits: limits)
        case .jpeg: return try JPEGDecoder.decode(bytes, limits: limits)
        case nil: throw .unsupportedFormat
        }
    }

    /// Encodes as a PNG with the image's channel layout (1, 2, 3 or 4 channels) and `bitDepth`
    /// bits per sample, 8 or 16 (`invalidImage` otherwise). Samples are clamped to [0, 1] and
    /// rounded to the nearest of 256 or 65536 levels; NaN becomes 0. The default is 8 whatever
    /// the image's own `bitDepth`; pass `bitDepth: image.bitDepth` to keep a 16-bit input's
    /// precision. The file is marked sRGB, and its samples are written with no gamma conversion.
    public static func encodePNG(_ image: Image, bitDepth: Int = 8) throws(ImageCodecError) -> [UInt8] {
        try PNGEncoder.encode(image, bitDepth: bitDepth)
    }
}
