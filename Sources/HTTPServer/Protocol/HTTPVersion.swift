/// HTTP/1.x protocol version of a request. Only major version 1 is parsed.
public struct HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }
    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)

    /// HTTP/1.1 features (chunked, keep-alive by default, Host required) apply to 1.1 and later minors.
    public var isAtLeast1_1: Bool { major > 1 || (major == 1 && minor >= 1) }
    public var description: String { "HTTP/\(major).\(minor)" }
}
