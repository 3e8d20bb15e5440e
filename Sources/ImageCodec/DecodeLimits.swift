/// Upper bounds checked against the stored dimensions before any pixel buffer is allocated,
/// so a tiny file claiming a huge size fails fast instead of exhausting memory.
public struct DecodeLimits: Sendable, Equatable {
    public var maxWidth: Int
    public var maxHeight: Int
    /// Bound on width × height. At 4 channels of Float this is 16 bytes per pixel.
    public var maxPixels: Int

    public init(maxWidth: Int, maxHeight: Int, maxPixels: Int) {
        self.maxWidth = maxWidth
        self.maxHeight = maxHeight
        self.maxPixels = maxPixels
    }

    public static let `default` = DecodeLimits(maxWidth: 16384, maxHeight: 16384, maxPixels: 50_000_000)

    /// Throws `tooLarge` when the dimensions exceed the limits and `corrupt` when one is zero.
    func check(width: Int, height: Int) throws(ImageCodecError) {
        guard width > 0, height > 0 else {
            throw .corrupt("image has zero width or height (\(width)×\(height))")
        }
        guard width <= maxWidth, height <= maxHeight, width * height <= maxPixels else {
            throw .tooLarge(width: width, height: height)
        }
    }
}
