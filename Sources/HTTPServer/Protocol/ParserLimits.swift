/// Size limits the request parser enforces while it reads, before anything is buffered unboundedly.
public struct ParserLimits: Sendable, Equatable {
    /// Longest request line (method, target, version) in bytes; longer is 414.
    public var maxRequestLineLength: Int = 8 * 1024
    /// Longest single header line in bytes; longer is 431.
    public var maxHeaderLineLength: Int = 8 * 1024
    /// Total bytes of the request head (request line + headers); more is 431.
    public var maxHeaderBytes: Int = 32 * 1024
    /// Number of header fields; more is 431.
    public var maxHeaderCount: Int = 100
    /// Longest chunk-size line (with extensions) in a chunked body; longer is 400.
    public var maxChunkLineLength: Int = 1024

    public init() {}
}
