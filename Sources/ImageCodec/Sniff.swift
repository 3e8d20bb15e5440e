/// The container formats the codec reads.
public enum ImageFormat: String, Sendable {
    case png
    case jpeg
}

extension ImageCodec {
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Identifies the format from the leading magic bytes only; the rest of the data is not checked.
    public static func sniff(_ bytes: some Collection<UInt8>) -> ImageFormat? {
        if bytes.starts(with: pngSignature) { return .png }
        // SOI followed by the first marker's 0xFF.
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        return nil
    }
}
