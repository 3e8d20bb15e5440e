/// What the parser found next in the input.
public enum ParserEvent: Sendable, Equatable {
    /// The buffered bytes end mid-message.
    case needMore
    /// A complete, validated head. Set `bodyLimit` before asking for the body.
    case head(RequestHead)
    /// A piece of the body (already de-chunked).
    case body(ArraySlice<UInt8>)
    /// The message is complete; the parser is ready for the next pipelined request.
    case end(trailers: HTTPHeaders)
    /// The request is malformed. The connection's framing can no longer be trusted.
    case error(HTTPError)
}

/// Incremental HTTP/1.1 request parser for one connection. Feed it a buffer that grows
/// as bytes arrive; it consumes what it has parsed and can be resumed at any byte boundary.
public struct RequestParser: Sendable {
    enum State: Sendable {
        case head(scanned: Int)
        case bodyPending(BodyFraming)
        case fixed(remaining: Int)
        case chunked
        case failed(HTTPError)
    }

    public let limits: ParserLimits
    /// Largest body accepted for the current request; the caller sets it after `.head`
    /// (e.g. per route). A larger Content-Length or chunked body yields a 413 error.
    public var bodyLimit: Int
    private var state: State = .head(scanned: 0)
    private var scanner: HeadScanner
    private var chunked: ChunkedDecoder?

    public init(limits: ParserLimits = ParserLimits(), bodyLimit: Int = 1 << 20) {
        self.limits = limits
        self.bodyLimit = bodyLimit
        scanner = HeadScanner(limits: limits)
    }

    /// True when no part of a request has been received (between requests).
    public var isIdle: Bool {
        if case .head(let scanned) = state { return scanned == 0 }
        return false
    }

    public mutating func next(_ buffer: inout ByteBuffer) -> ParserEvent {
        switch state {
        case .failed(let e):
            return .error(e)

        case .head(let scanned):
            let start = buffer.readIndex
            guard start + scanned < buffer.storage.count else { return .needMore }
            let (outcome, n) = buffer.storage.withUnsafeBufferPointer { all in
                scanner.scan(UnsafeBufferPointer(rebasing: all[(start + scanned)...]), consumed: scanned)
            }
            switch outcome {
            case .needMore:
                state = .head(scanned: scanned + n)
                return .needMore
            case .failed(let e):
                return fail(e)
            case .complete(let length):
                let headStart = start + scanner.headStart
                let result = buffer.storage.withUnsafeBufferPointer { all in
                    HeadParser.parse(UnsafeBufferPointer(rebasing: all[headStart..<(start + length)]))
                }
                buffer.readIndex = start + length
                scanner = HeadScanner(limits: limits)
                switch result {
                case .success(let head):
                    state = .bodyPending(head.framing)
                    return .head(head)
                case .failure(let e):
                    return fail(e)
                }
            }

        case .bodyPending(let framing):
            switch framing {
            case .none:
                return finish(trailers: HTTPHeaders())
            case .length(let n):
                if n > bodyLimit { return fail(ChunkedDecoder.tooLarge(bodyLimit)) }
                state = .fixed(remaining: n)
                return next(&buffer)
            case .chunked:
                chunked = ChunkedDecoder(limits: limits, bodyLimit: bodyLimit)
                state = .chunked
                return next(&buffer)
            }

        case .fixed(let remaining):
            if remaining == 0 { return finish(trailers: HTTPHeaders()) }
            if buffer.isEmpty { return .needMore }
            let slice = buffer.read(upTo: remaining)
            state = .fixed(remaining: remaining - slice.count)
            return .body(slice)

        case .chunked:
            switch chunked!.next(&buffer) {
            case .needMore: return .needMore
            case .data(let slice): return .body(slice)
            case .failed(let e): return fail(e)
            case .end(let trailers):
                chunked = nil
                return finish(trailers: trailers)
            }
        }
    }

    private mutating func finish(trailers: HTTPHeaders) -> ParserEvent {
        state = .head(scanned: 0)
        return .end(trailers: trailers)
    }

    private mutating func fail(_ e: HTTPError) -> ParserEvent {
        state = .failed(e)
        return .error(e)
    }
}
