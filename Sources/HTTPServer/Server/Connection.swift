import CEpoll
import Dispatch
import Glibc
import Logging

/// One client connection: reads and parses requests, runs handlers one at a time (so
/// pipelined responses go out in order), writes responses, and enforces the timeouts.
///
/// Ownership: every mutable property is touched only on `queue`. Handlers run elsewhere
/// with a copy of the request and hand their response back through `queue`.
final class Connection: @unchecked Sendable {
    enum Phase {
        case awaitingHead
        case readingBody
        case handling
        case writingResponse
        case streaming
        case lingering
        case closed
    }

    enum TimeoutAction { case none, closeSilently, requestTimeout, closeNow }

    let id: UInt64
    let fd: Int32
    let queue: DispatchQueue
    let remoteAddress: String
    private let server: ServerCore
    private let transport: Transport
    private var config: ServerConfiguration { server.configuration }

    private var phase = Phase.awaitingHead
    private var inbound = ByteBuffer()
    private var parser: RequestParser
    private var peerClosed = false
    private var shutdownRequested = false

    private let loop: EventLoop
    /// Reading paused: pipelined input waits while a response is produced.
    private var readPaused = false
    /// The last send hit EAGAIN; the next writability event resumes flushing.
    private var writeBlocked = false
    private var timer: DispatchSourceTimer?
    private var timerFiresAt = UInt64.max
    private var deadline = UInt64.max
    private var timeoutAction = TimeoutAction.none

    // The exchange in progress.
    private var head: RequestHead?
    private var match: (Router.Route, [String: String], path: String, query: QueryParameters)?
    private var pendingError: HTTPError?
    private var body: [UInt8] = []
    private var requestStart: UInt64 = 0
    private var requestID = ""
    private var closeAfterResponse = false
    private var responseStatus = 0
    private var responseBytes = 0
    private var requestsServed = 0
    private var handlerTask: Task<Void, Never>?

    // Output not yet accepted by the kernel.
    private var outbound: [[UInt8]] = []
    private var outboundOffset = 0
    private var outboundBytes = 0
    private var streamChunked = false
    private var streamWaiter: CheckedContinuation<Void, Error>?
    private static let streamHighWater = 64 * 1024

    private var date = HTTPDate()
    private var requestIDs = RequestID.Generator()
    private lazy var executor = HandlerTask.makeExecutor(queue: queue)

    init(id: UInt64, fd: Int32, remoteAddress: String, server: ServerCore, transport: Transport, loop: EventLoop) {
        self.id = id
        self.loop = loop
        self.fd = fd
        self.remoteAddress = remoteAddress
        self.server = server
        self.transport = transport
        queue = DispatchQueue(label: "http.connection", target: server.connectionTarget)
        parser = RequestParser(limits: server.configuration.parserLimits, bodyLimit: server.configuration.defaultBodyLimit)
    }

    // MARK: - Lifecycle

    func start() {
        queue.async { [self] in
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let t = DispatchSource.makeTimerSource(queue: queue)
            t.setEventHandler { [self] in timerFired() }
            t.activate()
            timer = t
            // Registering reports input that is already waiting, so nothing is missed.
            loop.register(self)
            // The first head must arrive within the header timeout of the accept.
            setDeadline(now() + config.headerTimeout.nanoseconds, .closeSilently)
        }
    }

    /// Graceful shutdown: idle connections close now, busy ones after their response.
    func requestShutdown() {
        shutdownRequested = true
        if phase == .awaitingHead && parser.isIdle && inbound.isEmpty { close() }
    }

    /// Closes at once: the socket, the sources, and any streaming producer.
    func close() {
        guard phase != .closed else { return }
        phase = .closed
        timer?.cancel()
        timer = nil
        loop.unregister(self)
        handlerTask?.cancel()
        handlerTask = nil
        streamWaiter?.resume(throwing: ConnectionClosedError())
        streamWaiter = nil
        outbound = []
        // Unregistered first, so a new connection reusing the number gets none of our events.
        Glibc.close(fd)
        server.connectionClosed(self)
    }

    /// Called on `queue` with the epoll flags of a readiness event.
    func handleEvents(_ flags: UInt32) {
        guard phase != .closed else { return }
        let hangup = EPOLLERR.rawValue | EPOLLHUP.rawValue
        if writeBlocked && flags & (EPOLLOUT.rawValue | hangup) != 0 {
            writeBlocked = false
            flush()
            // A TLS handshake inside a read can also wait for writability.
            if phase == .awaitingHead || phase == .readingBody { readable() }
        }
        if flags & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | hangup) != 0 { readable() }
    }

    // MARK: - Reading

    private func readable() {
        guard phase != .closed, !readPaused, !peerClosed else { return }
        var received = 0
        var failed = false
        var drained = false
        withUnsafeTemporaryAllocation(byteCount: 65536, alignment: 16) { buffer in
            for _ in 0..<8 {
                switch transport.receive(buffer) {
                case .bytes(let n):
                    received += n
                    if phase != .lingering { inbound.append(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) }
                case .eof:
                    peerClosed = true
                    return
                case .wantRead:
                    drained = true
                    return
                case .wantWrite:
                    armWriteSource()
                    return
                case .failed:
                    failed = true
                    return
                }
            }
        }
        if failed { close(); return }
        // Edge-triggered: no new event comes for input already there, so read on later
        // (after other work on this queue) until the socket says EAGAIN. TLS may also hold
        // decrypted input the socket will not signal again.
        if !drained && !peerClosed || transport.hasBufferedInput { queue.async { [self] in readable() } }

        switch phase {
        case .awaitingHead, .readingBody:
            if received > 0 {
                if phase == .readingBody {
                    setDeadline(now() + config.bodyIdleTimeout.nanoseconds, .requestTimeout)
                } else if timeoutAction == .closeSilently && !inbound.isEmpty && requestsServed > 0 {
                    // First byte of a keep-alive request: the header timeout starts now.
                    setDeadline(now() + config.headerTimeout.nanoseconds, .requestTimeout)
                }
            }
            processInput()
        case .handling, .writingResponse:
            // Pipelined input waits for its turn, but only so much of it.
            if inbound.readableCount > config.parserLimits.maxHeaderBytes + 65536 { suspendReading() }
        case .streaming:
            if peerClosed { close() }
            else if inbound.readableCount > config.parserLimits.maxHeaderBytes + 65536 { suspendReading() }
        case .lingering:
            if peerClosed { close() }
        case .closed:
            break
        }
    }

    private func suspendReading() {
        readPaused = true
    }

    private func resumeReading() {
        guard readPaused else { return }
        readPaused = false
        // Events that came while paused were ignored; look for their input now.
        queue.async { [self] in readable() }
    }

    private func processInput() {
        while phase == .awaitingHead || phase == .readingBody {
            switch parser.next(&inbound) {
            case .needMore:
                if peerClosed {
                    // A client that half-closes mid-request gets no answer; nothing more can arrive.
                    close()
                } else if phase == .awaitingHead && !inbound.isEmpty && timeoutAction == .closeSilently {
                    setDeadline(deadline, .requestTimeout)
                }
                return
            case .head(let h):
                beginRequest(h)
            case .body(let slice):
                body.append(contentsOf: slice)
            case .end(let trailers):
                runHandler(trailers: trailers)
                return
            case .error(let e):
                respond(error: e, close: true)
                return
            }
        }
    }

    // MARK: - Requests

    private func beginRequest(_ h: RequestHead) {
        phase = .readingBody
        head = h
        body = []
        pendingError = nil
        match = nil
        requestStart = now()
        if let header = config.requestIDHeader { requestID = RequestID.accept(h.headers[header], generator: &requestIDs) }

        var bodyLimit = config.defaultBodyLimit
        if let (path, segments, query) = Router.splitTarget(h.target) {
            switch server.router.resolve(method: h.method, segments: segments) {
            case .found(let route, let params):
                match = (route, params, path, query)
                bodyLimit = route.bodyLimit ?? bodyLimit
            case .methodNotAllowed(let allow):
                pendingError = HTTPError(.methodNotAllowed, code: "method_not_allowed",
                                         message: "\(h.method) is not allowed here",
                                         headers: ["Allow": allow.joined(separator: ", ")])
            case .notFound:
                pendingError = HTTPError(.notFound, code: "not_found", message: "no route for this path")
            }
        } else {
            pendingError = .badRequest("invalid_target", "malformed path or query")
        }

        if let e = pendingError, h.framing != .none {
            // Rather than read a body nobody wants, answer now and close.
            respond(error: e, close: true)
            return
        }
        parser.bodyLimit = bodyLimit
        if case .length(let n) = h.framing, n > bodyLimit {
            // Before any body byte is read, and instead of 100 Continue.
            respond(error: ChunkedDecoder.tooLarge(bodyLimit), close: true)
            return
        }
        if case .length(let n) = h.framing { body.reserveCapacity(n) }
        if h.expectsContinue && h.framing != .none && inbound.isEmpty {
            enqueue(ResponseEncoder.continueResponse)
            flush()
        }
        setDeadline(now() + config.bodyIdleTimeout.nanoseconds, .requestTimeout)
    }

    private func runHandler(trailers: HTTPHeaders) {
        guard let h = head else { return }
        phase = .handling
        setDeadline(.max, .none)
        closeAfterResponse = !h.keepAlive || shutdownRequested
            || (config.maxRequestsPerConnection > 0 && requestsServed + 1 >= config.maxRequestsPerConnection)

        if let e = pendingError {
            send(Response.error(e))
            return
        }
        guard let (route, params, path, query) = match else { return }
        let request = Request(method: h.method, target: h.target, path: path, query: query, version: h.version,
                              headers: h.headers, body: body, trailers: trailers, pathParameters: params,
                              requestID: requestID, remoteAddress: remoteAddress)
        body = []
        let handler = route.handler
        let logger = server.logger
        handlerTask = HandlerTask.start(on: executor) { [self] in
            let response: Response
            do {
                response = try await handler(request)
            } catch let e as HTTPError {
                response = .error(e)
            } catch {
                logger.error("handler failed", metadata: ["request_id": "\(request.requestID)", "error": "\(error)"])
                response = .error(HTTPError(.internalServerError, code: "internal_error", message: "internal server error"))
            }
            queue.async { self.send(response) }
        }
    }

    // MARK: - Responses

    private func respond(error: HTTPError, close: Bool) {
        guard phase == .awaitingHead || phase == .readingBody else { return }
        if head == nil { requestStart = now() }
        phase = .handling
        closeAfterResponse = close || shutdownRequested
        send(Response.error(error))
    }

    private func send(_ response: Response) {
        guard phase == .handling else { return }
        handlerTask = nil
        // Shutdown may have begun while the handler ran.
        if shutdownRequested { closeAfterResponse = true }
        var response = response
        if let header = config.requestIDHeader, !requestID.isEmpty { response.headers[header] = requestID }
        let isHead = head?.method == .head
        let http11 = head?.version.isAtLeast1_1 ?? true
        responseStatus = response.status.code

        var payload: [UInt8] = []
        var framing: ResponseEncoder.Framing
        var producer: (@Sendable (BodyWriter) async throws -> Void)?
        switch response.body {
        case .empty: framing = .length(0)
        case .bytes(let b):
            framing = .length(b.count)
            payload = b
        case .stream(let p):
            if http11 {
                framing = .chunked
            } else {
                framing = .untilClose
                closeAfterResponse = true
            }
            producer = p
        }
        if !response.status.allowsBody {
            framing = response.status.code == 304 ? framing : .none
            payload = []
            producer = nil
            if case .untilClose = framing { framing = .none }
            if case .chunked = framing { framing = .none }
        }
        if isHead {
            payload = []
            producer = nil
        }
        let connectionField: String? = closeAfterResponse ? "close" : (http11 ? nil : "keep-alive")
        var out = ResponseEncoder.head(status: response.status, headers: response.headers, framing: framing,
                                       connection: connectionField, date: date.current(), serverName: config.serverName)
        responseBytes = payload.count
        if payload.count <= 16 * 1024 {
            out.append(contentsOf: payload)
            enqueue(out)
        } else {
            enqueue(out)
            enqueue(payload)
        }

        if let producer {
            phase = .streaming
            streamChunked = framing == .chunked
            let writer = BodyWriter(connection: self)
            handlerTask = HandlerTask.start(on: executor) { [self] in
                do {
                    try await producer(writer)
                    queue.async { self.endStream(ok: true) }
                } catch {
                    queue.async { self.endStream(ok: false) }
                }
            }
        } else {
            phase = .writingResponse
        }
        flush()
    }

    /// Called on `queue` by `BodyWriter.write`.
    func streamWrite(_ bytes: [UInt8], _ continuation: CheckedContinuation<Void, Error>) {
        guard phase == .streaming, streamWaiter == nil else {
            continuation.resume(throwing: ConnectionClosedError())
            return
        }
        responseBytes += bytes.count
        enqueue(streamChunked ? ResponseEncoder.chunk(bytes) : bytes)
        streamWaiter = continuation
        flush()
    }

    private func endStream(ok: Bool) {
        guard phase == .streaming else { return }
        handlerTask = nil
        guard ok else {
            // The status line is gone; a cut-off stream is the only honest signal left.
            close()
            return
        }
        if streamChunked { enqueue(ResponseEncoder.lastChunk) }
        phase = .writingResponse
        flush()
    }

    private func finishExchange() {
        logAccess()
        requestsServed += 1
        head = nil
        match = nil
        pendingError = nil
        if closeAfterResponse || peerClosed {
            linger()
            return
        }
        phase = .awaitingHead
        if inbound.isEmpty {
            setDeadline(now() + config.keepAliveTimeout.nanoseconds, .closeSilently)
        } else {
            setDeadline(now() + config.headerTimeout.nanoseconds, .requestTimeout)
        }
        resumeReading()
        processInput()
    }

    /// Half-close and drain: closing a socket with unread input makes the kernel send a
    /// reset, which can destroy the response (e.g. a 413) before the client reads it.
    private func linger() {
        phase = .lingering
        if peerClosed {
            close()
            return
        }
        transport.shutdownWrite()
        inbound.clear()
        resumeReading()
        setDeadline(now() + config.lingerTimeout.nanoseconds, .closeNow)
    }

    private func logAccess() {
        guard config.accessLog, server.logger.logLevel <= .info else { return }
        let ms = Double(now() - requestStart) / 1e6
        let line = head.map { "\($0.method) \($0.target) \($0.version)" } ?? "-"
        server.logger.info("\"\(line)\" \(responseStatus) \(responseBytes) \(Double(Int(ms * 10)) / 10)ms",
                           metadata: ["request_id": "\(requestID)", "remote": "\(remoteAddress)"])
    }

    // MARK: - Writing

    private func enqueue(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        outbound.append(bytes)
        outboundBytes += bytes.count
    }

    private func flush() {
        while let first = outbound.first {
            let result = first.withUnsafeBytes { all in
                transport.send(UnsafeRawBufferPointer(rebasing: all[outboundOffset...]))
            }
            switch result {
            case .bytes(let n):
                outboundOffset += n
                outboundBytes -= n
                if outboundOffset == first.count {
                    outbound.removeFirst()
                    outboundOffset = 0
                }
                if writeBlocked { setDeadline(now() + config.writeTimeout.nanoseconds, .closeNow) }
            case .wantWrite:
                armWriteSource()
                return
            case .wantRead:
                return
            case .eof, .failed:
                close()
                return
            }
        }
        // Everything is with the kernel.
        writeBlocked = false
        drained()
    }

    private func drained() {
        switch phase {
        case .writingResponse:
            finishExchange()
        case .streaming:
            setDeadline(.max, .none)
            wakeStreamWriter()
        default:
            break
        }
    }

    private func wakeStreamWriter() {
        if let w = streamWaiter, outboundBytes <= Self.streamHighWater {
            streamWaiter = nil
            w.resume()
        }
    }

    private func armWriteSource() {
        if phase == .streaming { wakeStreamWriter() }
        guard !writeBlocked, phase != .closed else { return }
        writeBlocked = true
        setDeadline(now() + config.writeTimeout.nanoseconds, .closeNow)
    }

    // MARK: - Timeouts

    private func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Moves the deadline. Only an earlier deadline reschedules the timer; a timer that fires
    /// before the current deadline just re-arms. Rescheduling a Dispatch timer wakes the
    /// manager thread, which under keep-alive load cost more than the rest of a request.
    private func setDeadline(_ at: UInt64, _ action: TimeoutAction) {
        deadline = at
        timeoutAction = action
        guard at != .max, at < timerFiresAt, let timer else { return }
        timerFiresAt = at
        timer.schedule(deadline: DispatchTime(uptimeNanoseconds: at), leeway: .milliseconds(10))
    }

    private func timerFired() {
        timerFiresAt = .max
        guard phase != .closed, deadline != .max else { return }
        if now() < deadline {
            setDeadline(deadline, timeoutAction)
            return
        }
        switch timeoutAction {
        case .none:
            break
        case .closeSilently:
            if phase == .awaitingHead && parser.isIdle && inbound.isEmpty {
                close()
            } else {
                respond(error: HTTPError(.requestTimeout, code: "header_timeout", message: "request head not received in time"), close: true)
            }
        case .requestTimeout:
            let what = phase == .readingBody ? "body" : "header"
            respond(error: HTTPError(.requestTimeout, code: "\(what)_timeout", message: "request \(what) not received in time"), close: true)
            if phase != .handling && phase != .writingResponse && phase != .lingering { close() }
        case .closeNow:
            close()
        }
    }
}
