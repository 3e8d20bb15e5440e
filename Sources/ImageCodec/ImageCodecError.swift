/// Why an image could not be decoded or encoded.
public enum ImageCodecError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input held no bytes.
    case empty
    /// The input is neither PNG nor JPEG.
    case unsupportedFormat
    /// The stored dimensions exceed the caller's `DecodeLimits`; nothing was decoded.
    case tooLarge(width: Int, height: Int)
    /// The data is damaged or truncated; the message comes from the underlying library.
    case corrupt(String)
    /// A valid file in a variant this codec does not handle (e.g. 12-bit or lossless JPEG).
    case unsupportedEncoding(String)
    /// The image handed to the encoder is inconsistent (bad channel count, size mismatch...).
    case invalidImage(String)

    public var description: String {
        switch self {
        case .empty: "empty image data"
        case .unsupportedFormat: "unsupported image format (expected PNG or JPEG)"
        case let .tooLarge(width, height): "image too large: \(width)×\(height)"
        case let .corrupt(message): "corrupt image data: \(message)"
        case let .unsupportedEncoding(message): "unsupported image encoding: \(message)"
        case let .invalidImage(message): "invalid image: \(message)"
        }
    }
}
