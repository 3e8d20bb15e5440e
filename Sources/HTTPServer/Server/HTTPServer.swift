import Dispatch
import Glibc
import Logging

/// An HTTP/1.1 server. Create it with a configuration and a router, `start()` it, and
/// `shutdown()` it (or call `run()`, which does both around SIGTERM/SIGINT).
///
/// ```swift
/// var router = Router()
/// router.get("/v1/jobs/{id}") { request in .text("job \(request.parameter("id")!)") }
/// let server = HTTPServer(configuration: config, router: router)
/// try server.start()
/// ```
public final class HTTPServer: Sendable {
    private let core: ServerCore

    public init(configuration: ServerConfiguration = ServerConfiguration(), router: Router,
                logger: Logger = Logger(label: "http")) {
        core = ServerCore(configuration: configuration, router: router, logger: logger)
    }

    public var configuration: ServerConfiguration { core.configuration }

    /// Binds and starts accepting. Throws if the address cannot be bound.
    public func start() throws {
        try core.start()
    }

    /// The bound port (useful with `port: 0`); nil before `start()`.
    public var port: Int? { core.boundPort }

    /// Number of open connections.
    public var connectionCount: Int { core.openConnections }

    /// Stops accepting, closes idle connections, lets in-flight requests finish until the
    /// configured deadline, then closes the rest. Returns when every connection is closed.
    public func shutdown() async {
        await core.shutdown()
    }

    /// Starts, waits for SIGTERM or SIGINT, then shuts down gracefully.
    public func run() async throws {
        try start()
        let signal = await ShutdownSignal.wait(for: [SIGTERM, SIGINT])
        core.logger.info("received signal \(signal), shutting down")
        await shutdown()
    }
}

/// Listener, connection registry and shutdown. Its mutable state is confined to `queue`.
final class ServerCore: @unchecked Sendable {
    let configuration: ServerConfiguration
    let router: Router
    let logger: Logger
    let connectionTarget = DispatchQueue.global()
    private let queue = DispatchQueue(label: "http.server")

    private var listenFD: Int32 = -1
    private var acceptSource: DispatchSourceRead?
    private var port: Int?
    private var connections: [UInt64: Connection] = [:]
    private var nextID: UInt64 = 0
    private var shuttingDown = false
    private var listenerClosed = false
    private var shutdownWaiters: [CheckedContinuation<Void, Never>] = []
    private var tls: TLSContext?
    private var loop: EventLoop?

    init(configuration: ServerConfiguration, router: Router, logger: Logger) {
        self.configuration = configuration
        self.router = router
        self.logger = logger
        signal(SIGPIPE, SIG_IGN)
    }

    var boundPort: Int? { queue.sync { port } }
    var openConnections: Int { queue.sync { connections.count } }

    func start() throws {
        let tlsContext = try configuration.tls.map { configuration throws(TLSError) in try TLSContext(configuration) }
        let eventLoop = try EventLoop()
        try eventLoop.start()
        let fd: Int32, boundPort: Int
        do {
            (fd, boundPort) = try Listener.open(host: configuration.host, port: configuration.port,
                                                backlog: configuration.listenBacklog)
        } catch {
            eventLoop.stop()
            throw error
        }
        queue.sync {
            tls = tlsContext
            loop = eventLoop
            listenFD = fd
            port = boundPort
            let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
            source.setEventHandler { [self] in acceptAll() }
            source.setCancelHandler { [self] in
                Glibc.close(fd)
                listenerClosed = true
                checkShutdownComplete()
            }
            acceptSource = source
            source.activate()
        }
        logger.info("listening on \(configuration.host) port \(boundPort)\(tlsContext == nil ? "" : " (TLS)")")
    }

    private func acceptAll() {
        for _ in 0..<64 {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    accept(listenFD, $0, &length)
                }
            }
            if fd < 0 {
                if errno == EMFILE || errno == ENFILE {
                    // Out of descriptors: pause accepting instead of spinning on a readable listener.
                    logger.error("accept: too many open files; pausing accept for 100 ms")
                    acceptSource?.suspend()
                    queue.asyncAfter(deadline: .now() + .milliseconds(100)) { [self] in acceptSource?.resume() }
                }
                return
            }
            // accept4 is not visible from Swift's Glibc module; set the flags separately.
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            if connections.count >= configuration.maxConnections || shuttingDown {
                rejectOverCapacity(fd)
                continue
            }
            nextID += 1
            let transport: Transport
            if let tls {
                guard let t = TLSTransport(context: tls, fd: fd) else {
                    Glibc.close(fd)
                    continue
                }
                transport = t
            } else {
                transport = PlainTransport(fd: fd)
            }
            let connection = Connection(id: nextID, fd: fd, remoteAddress: SocketAddress.describe(storage),
                                        server: self, transport: transport, loop: loop!)
            connections[nextID] = connection
            connection.start()
        }
    }

    /// Best effort: one non-blocking write of a canned 503, then close.
    private func rejectOverCapacity(_ fd: Int32) {
        let e = HTTPError(.serviceUnavailable, code: "too_many_connections", message: "server is at its connection limit")
        let body = e.jsonBody
        let head = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\nRetry-After: 1\r\n\r\n"
        let bytes = Array(head.utf8) + body
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        Glibc.shutdown(fd, Int32(SHUT_WR))
        Glibc.close(fd)
    }

    func connectionClosed(_ connection: Connection) {
        queue.async { [self] in
            connections[connection.id] = nil
            checkShutdownComplete()
        }
    }

    func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async { [self] in
                shutdownWaiters.append(continuation)
                if !shuttingDown {
                    shuttingDown = true
                    if let source = acceptSource {
                        source.cancel()
                        acceptSource = nil
                    } else {
                        listenerClosed = true
                    }
                    for connection in connections.values {
                        connection.queue.async { connection.requestShutdown() }
                    }
                    let deadline = DispatchTime.now() + .nanoseconds(Int(configuration.shutdownDeadline.nanoseconds))
                    queue.asyncAfter(deadline: deadline) { [self] in
                        if !connections.isEmpty {
                            logger.warning("shutdown deadline reached; closing \(connections.count) connections")
                        }
                        for connection in connections.values {
                            connection.queue.async { connection.close() }
                        }
                    }
                }
                checkShutdownComplete()
            }
        }
    }

    private func checkShutdownComplete() {
        guard shuttingDown, listenerClosed, connections.isEmpty else { return }
        let waiters = shutdownWaiters
        shutdownWaiters = []
        loop?.stop()
        loop = nil
        for w in waiters { w.resume() }
    }
}
