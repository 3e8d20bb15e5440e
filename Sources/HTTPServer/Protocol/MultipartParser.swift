/// Limits for multipart/form-data bodies. Memory held by the parser itself is bounded by
/// `maxPartHeaderBytes` plus the boundary length plus one fed chunk.
public struct MultipartLimits: Sendable, Equatable {
    public var maxParts: Int = 64
    public var maxPartHeaderBytes: Int = 8 * 1024
    public var maxPartSize: Int = 64 << 20
    public var maxTotalSize: Int = 128 << 20
    public init() {}
}

/// The headers of one part and what form-data means by them.
public struct MultipartPartHead: Sendable, Equatable {
    public var headers: HTTPHeaders
    /// The form field name (`Content-Disposition: form-data; name="..."`).
    public var name: String
    /// The file name, when the part is a file upload.
    public var filename: String?
    /// The part's Content-Type; RFC 7578 defaults it to text/plain.
    public var contentType: String?
}

public enum MultipartEvent: Sendable, Equatable {
    case partBegin(MultipartPartHead)
    case partData([UInt8])
    case partEnd
}

/// Streaming multipart/form-data parser (RFC 7578, RFC 2046 §5.1). Feed body bytes in any
/// pieces; it returns events as parts are recognised and never holds a whole part.
public struct MultipartParser: Sendable {
    enum State: Sendable { case preamble, afterDelimiter, headers, body, epilogue }

    public let limits: MultipartLimits
    private let delimiter: [UInt8]       // CRLF "--" boundary
    private var pending: [UInt8]
    private var state = State.preamble
    private var parts = 0
    private var partSize = 0
    private var totalSize = 0
    private var paddingSeen = 0
    private var headerScanned = 0      // index into `pending` up to which headers were searched

    public static func invalid(_ message: String) -> HTTPError {
        .badRequest("invalid_multipart", message)
    }

    /// The boundary parameter of a `multipart/form-data` Content-Type, or nil.
    public static func boundary(fromContentType contentType: String) -> String? {
        guard let p = HeaderParameters(parsing: contentType), p.value == "multipart/form-data" else { return nil }
        return p["boundary"]
    }

    public init(boundary: String, limits: MultipartLimits = MultipartLimits()) throws(HTTPError) {
        // bchars from RFC 2046: 1-70 characters, not ending in a space.
        let allowed = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ".utf8)
        guard (1...70).contains(boundary.utf8.count), boundary.utf8.allSatisfy(allowed.contains),
              boundary.utf8.last != ASCII.space
        else { throw Self.invalid("invalid multipart boundary") }
        self.limits = limits
        delimiter = Array("\r\n--\(boundary)".utf8)
        // The first delimiter may open the body without a preceding CRLF.
        pending = [ASCII.cr, ASCII.lf]
    }

    /// True once the close delimiter has been seen.
    public var isComplete: Bool { if case .epilogue = state { return true } else { return false } }

    public mutating func feed<C: Collection>(_ bytes: C) throws(HTTPError) -> [MultipartEvent] where C.Element == UInt8 {
        if case .epilogue = state { return [] }
        pending.append(contentsOf: bytes)
        var events: [MultipartEvent] = []
        var position = 0
        defer {
            pending.removeFirst(position)
            headerScanned = max(0, headerScanned - position)
        }

        loop: while true {
            switch state {
            case .preamble:
                if let at = find(delimiter, in: pending, from: position) {
                    position = at + delimiter.count
                    state = .afterDelimiter
                } else {
                    position = max(position, pending.count - (delimiter.count - 1))
                    break loop
                }

            case .afterDelimiter:
                // "--" closes; otherwise optional transport padding, then CRLF.
                guard pending.count - position >= 2 else { break loop }
                if pending[position] == ASCII.dash && pending[position + 1] == ASCII.dash {
                    if let event = closePart() { events.append(event) }
                    state = .epilogue
                    position = pending.count
                    break loop
                }
                if ASCII.isWhitespace(pending[position]) {
                    paddingSeen += 1
                    guard paddingSeen <= 64 else { throw Self.invalid("too much padding after boundary") }
                    position += 1
                    continue
                }
                guard pending[position] == ASCII.cr && pending[position + 1] == ASCII.lf else {
                    throw Self.invalid("boundary not followed by CRLF")
                }
                paddingSeen = 0
                position += 2
                if let event = closePart() { events.append(event) }
                parts += 1
                guard parts <= limits.maxParts else {
                    throw HTTPError(.contentTooLarge, code: "too_many_parts", message: "more than \(limits.maxParts) parts")
                }
                state = .headers

            case .headers:
                let terminator: [UInt8] = [ASCII.cr, ASCII.lf, ASCII.cr, ASCII.lf]
                let headerEnd: Int?
                if pending.count - position >= 2 && pending[position] == ASCII.cr && pending[position + 1] == ASCII.lf {
                    headerEnd = position   // no headers at all
                } else {
                    // Resume the search where the last feed stopped: trickled input stays linear.
                    headerEnd = find(terminator, in: pending, from: max(position, headerScanned - 3)).map { $0 + 2 }
                }
                guard let end = headerEnd else {
                    headerScanned = pending.count
                    // Headers plus their CRLF may take maxPartHeaderBytes; with no terminator in
                    // this many bytes they cannot fit (same verdict however the body is split).
                    if pending.count - position >= limits.maxPartHeaderBytes + 2 {
                        throw HTTPError(.headerFieldsTooLarge, code: "part_headers_too_large", message: "multipart part headers too large")
                    }
                    break loop
                }
                guard end - position <= limits.maxPartHeaderBytes else {
                    throw HTTPError(.headerFieldsTooLarge, code: "part_headers_too_large", message: "multipart part headers too large")
                }
                headerScanned = 0
                let head = try parsePartHead(pending[position..<end])
                events.append(.partBegin(head))
                position = end + 2
                partSize = 0
                state = .body

            case .body:
                let found = find(delimiter, in: pending, from: position)
                let dataEnd = found ?? max(position, pending.count - (delimiter.count - 1))
                if dataEnd > position {
                    partSize += dataEnd - position
                    totalSize += dataEnd - position
                    guard partSize <= limits.maxPartSize else {
                        throw HTTPError(.contentTooLarge, code: "part_too_large", message: "multipart part larger than \(limits.maxPartSize) bytes")
                    }
                    guard totalSize <= limits.maxTotalSize else {
                        throw HTTPError(.contentTooLarge, code: "body_too_large", message: "multipart parts larger than \(limits.maxTotalSize) bytes in total")
                    }
                    events.append(.partData(Array(pending[position..<dataEnd])))
                }
                guard let at = found else {
                    position = dataEnd
                    break loop
                }
                position = at + delimiter.count
                state = .afterDelimiter

            case .epilogue:
                position = pending.count
                break loop
            }
        }
        return events
    }

    /// Call when the body has ended: a body without its close delimiter is truncated.
    public func finish() throws(HTTPError) {
        guard isComplete else { throw Self.invalid("multipart body ends before the closing boundary") }
    }

    private var inPart = false
    private mutating func closePart() -> MultipartEvent? {
        defer { inPart = true }
        return inPart ? .partEnd : nil
    }

    private func parsePartHead(_ bytes: ArraySlice<UInt8>) throws(HTTPError) -> MultipartPartHead {
        var headers = HTTPHeaders()
        var lineStart = bytes.startIndex
        var i = bytes.startIndex
        while i < bytes.endIndex {
            if bytes[i] == ASCII.lf {
                guard i > lineStart, bytes[i - 1] == ASCII.cr else { throw Self.invalid("bare LF in part headers") }
                let line = Array(bytes[lineStart..<(i - 1)])
                let field = line.withUnsafeBufferPointer { HeadParser.parseField($0) }
                switch field {
                case .success(let f): headers.add(name: f.name, value: f.value)
                case .failure: throw Self.invalid("malformed part header")
                }
                lineStart = i + 1
            }
            i += 1
        }
        guard lineStart == bytes.endIndex else { throw Self.invalid("malformed part header") }
        guard let disposition = headers["Content-Disposition"], let p = HeaderParameters(parsing: disposition),
              p.value == "form-data", let name = p["name"]
        else { throw Self.invalid("part without Content-Disposition: form-data; name=...") }
        return MultipartPartHead(headers: headers, name: name, filename: p["filename"], contentType: headers["Content-Type"])
    }

    private func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard needle.count <= haystack.count - start else { return nil }
        let first = needle[0]
        let last = haystack.count - needle.count
        var i = start
        while i <= last {
            if haystack[i] == first {
                var j = 1
                while j < needle.count && haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}
