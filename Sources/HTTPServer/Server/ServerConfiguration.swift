/// Every limit and timeout of the server. The defaults suit a service behind nginx
/// (keep-alive longer than nginx's 60 s upstream keepalive) and direct curl clients.
public struct ServerConfiguration: Sendable {
    /// Address to listen on: an IPv4 or IPv6 literal or a host name. "::" listens on IPv4 and IPv6.
    public var host: String = "127.0.0.1"
    /// TCP port; 0 picks a free one (read it back from `HTTPServer.port`).
    public var port: Int = 8080
    public var listenBacklog: Int32 = 511

    /// Open connections beyond this get an immediate 503 and are closed.
    public var maxConnections: Int = 1024
    /// A connection is closed after this many requests (0 = unlimited).
    public var maxRequestsPerConnection: Int = 10_000

    /// Request line, header line, total head and header-count limits (414/431).
    public var parserLimits = ParserLimits()
    /// Body limit for routes that do not set their own (413).
    public var defaultBodyLimit: Int = 1 << 20

    /// Time from connection start (or the first byte of a keep-alive request) to a complete head; then 408 (slowloris).
    public var headerTimeout: Duration = .seconds(10)
    /// Longest pause between body bytes; then 408.
    public var bodyIdleTimeout: Duration = .seconds(30)
    /// How long an idle keep-alive connection is kept open between requests.
    public var keepAliveTimeout: Duration = .seconds(75)
    /// Longest time a client may accept no response bytes while some are pending; then the connection is dropped.
    public var writeTimeout: Duration = .seconds(30)
    /// After a final response on a closing connection, unread input is drained this long so the
    /// client sees the response rather than a TCP reset.
    public var lingerTimeout: Duration = .seconds(2)
    /// Graceful shutdown lets in-flight requests finish for this long, then closes everything.
    public var shutdownDeadline: Duration = .seconds(10)

    /// Header that carries the request ID: echoed when valid, generated otherwise. nil disables it.
    public var requestIDHeader: String? = "X-Request-ID"
    /// Log one line per request at `.info` through the server's swift-log logger.
    public var accessLog: Bool = true
    /// Value of the `Server` response header; nil sends none.
    public var serverName: String? = nil

    /// TLS through OpenSSL; nil (the default) serves plain HTTP.
    public var tls: TLSConfiguration? = nil

    public init() {}
}

/// Certificate and private key (PEM files) for serving HTTPS directly.
public struct TLSConfiguration: Sendable, Equatable {
    public var certificatePath: String
    public var privateKeyPath: String
    public init(certificatePath: String, privateKeyPath: String) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
    }
}

extension Duration {
    var nanoseconds: UInt64 {
        let (s, atto) = components
        if s < 0 { return 0 }
        return UInt64(s) * 1_000_000_000 + UInt64(atto / 1_000_000_000)
    }
}
