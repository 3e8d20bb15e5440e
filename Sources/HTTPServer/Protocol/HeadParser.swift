/// Finds the end of a request head byte by byte and enforces the size limits as it goes,
/// so a client trickling bytes is cut off at the same byte however the input is split.
struct HeadScanner {
    let limits: ParserLimits
    private var lineLength = 0        // bytes of the current line so far, LF excluded
    private var lineIndex = 0         // 0 = request line
    private var headBytes = 0
    private var previous: UInt8 = 0
    /// Offset (from the scan start) where the request line begins, after skipped empty lines.
    private(set) var headStart = 0

    init(limits: ParserLimits) { self.limits = limits }

    enum Outcome { case needMore, complete(length: Int), failed(HTTPError) }

    /// Scans `bytes`, which continue the head seen so far (`consumed` bytes of it already scanned).
    mutating func scan(_ bytes: UnsafeBufferPointer<UInt8>, consumed: Int) -> (Outcome, scanned: Int) {
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            i += 1
            headBytes += 1
            if b == ASCII.lf {
                let empty = lineLength == 0 || (lineLength == 1 && previous == ASCII.cr)
                if lineIndex == 0 && empty && lineLength == 1 {
                    // RFC 9112 §2.2: ignore CRLFs before the request line (left over from a previous body).
                    headStart = consumed + i
                    lineLength = 0
                    previous = b
                    if headBytes > limits.maxHeaderBytes { return (.failed(Self.headTooLarge), i) }
                    continue
                }
                if lineIndex > 0 && empty {
                    return (.complete(length: consumed + i), i)
                }
                lineIndex += 1
                if lineIndex - 1 > limits.maxHeaderCount {
                    return (.failed(HTTPError(.headerFieldsTooLarge, code: "too_many_headers",
                                              message: "more than \(limits.maxHeaderCount) header fields")), i)
                }
                lineLength = 0
            } else {
                lineLength += 1
                if lineIndex == 0 && lineLength > limits.maxRequestLineLength {
                    return (.failed(HTTPError(.uriTooLong, code: "request_line_too_long",
                                              message: "request line longer than \(limits.maxRequestLineLength) bytes")), i)
                }
                if lineIndex > 0 && lineLength > limits.maxHeaderLineLength {
                    return (.failed(HTTPError(.headerFieldsTooLarge, code: "header_line_too_long",
                                              message: "header line longer than \(limits.maxHeaderLineLength) bytes")), i)
                }
            }
            if headBytes > limits.maxHeaderBytes { return (.failed(Self.headTooLarge), i) }
            previous = b
        }
        return (.needMore, i)
    }

    static let headTooLarge = HTTPError(.headerFieldsTooLarge, code: "headers_too_large", message: "request head too large")
}

/// Parses a complete request head (request line through the empty line) and validates
/// framing: the checks that stop request smuggling are all here.
enum HeadParser {
    static func parse(_ head: UnsafeBufferPointer<UInt8>) -> Result<RequestHead, HTTPError> {
        var lines: [UnsafeBufferPointer<UInt8>] = []
        var start = 0
        for i in 0..<head.count where head[i] == ASCII.lf {
            guard i > start, head[i - 1] == ASCII.cr else {
                return .failure(.badRequest("bare_lf", "line terminated by LF without CR"))
            }
            lines.append(UnsafeBufferPointer(rebasing: head[start..<(i - 1)]))
            start = i + 1
        }
        // The last line is the empty line ending the head.
        guard lines.count >= 2, lines.last!.isEmpty else {
            return .failure(.badRequest("malformed_head", "request head not terminated"))
        }
        lines.removeLast()

        let requestLine: (HTTPMethod, String, HTTPVersion)
        switch parseRequestLine(lines[0]) {
        case .success(let r): requestLine = r
        case .failure(let e): return .failure(e)
        }

        var headers = HTTPHeaders()
        for line in lines.dropFirst() {
            switch parseField(line) {
            case .success(let field): headers.add(name: field.name, value: field.value)
            case .failure(let e): return .failure(e)
            }
        }
        return validate(method: requestLine.0, target: requestLine.1, version: requestLine.2, headers: headers)
    }

    static func parseRequestLine(_ line: UnsafeBufferPointer<UInt8>) -> Result<(HTTPMethod, String, HTTPVersion), HTTPError> {
        // method SP request-target SP HTTP-version, single spaces only (RFC 9112 §3).
        guard let sp1 = line.firstIndex(of: ASCII.space), sp1 > 0 else {
            return .failure(.badRequest("malformed_request_line", "malformed request line"))
        }
        let methodBytes = line[0..<sp1]
        guard methodBytes.allSatisfy(ASCII.isTChar) else {
            return .failure(.badRequest("malformed_request_line", "invalid method"))
        }
        let rest = line[(sp1 + 1)...]
        guard let sp2 = rest.firstIndex(of: ASCII.space), sp2 > sp1 + 1 else {
            return .failure(.badRequest("malformed_request_line", "malformed request line"))
        }
        let targetBytes = line[(sp1 + 1)..<sp2]
        guard targetBytes.allSatisfy(ASCII.isTargetByte) else {
            return .failure(.badRequest("malformed_request_line", "invalid request target"))
        }
        let versionBytes = line[(sp2 + 1)...]
        // "HTTP/" DIGIT "." DIGIT
        guard versionBytes.count == 8,
              versionBytes.starts(with: "HTTP/".utf8),
              ASCII.isDigit(versionBytes[sp2 + 6]), versionBytes[sp2 + 7] == UInt8(ascii: "."),
              ASCII.isDigit(versionBytes[sp2 + 8])
        else {
            return .failure(.badRequest("malformed_request_line", "invalid HTTP version"))
        }
        let major = Int(versionBytes[sp2 + 6] - 0x30), minor = Int(versionBytes[sp2 + 8] - 0x30)
        guard major == 1 else {
            return .failure(HTTPError(.versionNotSupported, code: "version_not_supported", message: "only HTTP/1.x is supported"))
        }
        let method = HTTPMethod(String(decoding: methodBytes, as: UTF8.self))
        let target = String(decoding: targetBytes, as: UTF8.self)
        return .success((method, target, HTTPVersion(major: major, minor: minor)))
    }

    static func parseField(_ line: UnsafeBufferPointer<UInt8>) -> Result<HTTPHeaders.Field, HTTPError> {
        if let first = line.first, ASCII.isWhitespace(first) {
            return .failure(.badRequest("obs_fold", "obsolete line folding is not accepted"))
        }
        guard let colon = line.firstIndex(of: ASCII.colon), colon > 0 else {
            return .failure(.badRequest("malformed_header", "header line without a field name"))
        }
        // No whitespace between name and colon (RFC 9112 §5.1): a classic smuggling vector.
        guard line[0..<colon].allSatisfy(ASCII.isTChar) else {
            return .failure(.badRequest("malformed_header", "invalid header field name"))
        }
        let value = ASCII.trimmed(line[(colon + 1)...])
        guard value.allSatisfy(ASCII.isFieldValueByte) else {
            return .failure(.badRequest("invalid_header_value", "control character (NUL, CR) in header value"))
        }
        return .success(HTTPHeaders.Field(name: String(decoding: line[0..<colon], as: UTF8.self),
                                          value: String(decoding: value, as: UTF8.self)))
    }

    static func validate(method: HTTPMethod, target: String, version: HTTPVersion,
                         headers: HTTPHeaders) -> Result<RequestHead, HTTPError> {
        // Request target forms (RFC 9112 §3.2).
        if target.utf8.first == ASCII.slash {
            // origin-form
        } else if target == "*" {
            guard method == .options else { return .failure(.badRequest("invalid_target", "'*' is only valid for OPTIONS")) }
        } else if hasHTTPScheme(target) {
            // absolute-form, accepted as RFC 9112 §3.2.2 requires
        } else {
            return .failure(.badRequest("invalid_target", "request target must be a path or an absolute URI"))
        }

        // Host (RFC 9112 §3.2): exactly one on HTTP/1.1, with a plausible authority.
        let hosts = headers.values(for: "Host")
        if version.isAtLeast1_1 && hosts.isEmpty {
            return .failure(.badRequest("missing_host", "HTTP/1.1 request without Host"))
        }
        if hosts.count > 1 {
            return .failure(.badRequest("duplicate_host", "more than one Host header"))
        }
        if let host = hosts.first, !host.utf8.allSatisfy(isAuthorityByte) {
            return .failure(.badRequest("invalid_host", "invalid Host header"))
        }

        // Framing (RFC 9112 §6.1-6.3).
        let hasTE = headers.contains("Transfer-Encoding")
        let lengthValues = headers.values(for: "Content-Length")
        var framing = BodyFraming.none
        if hasTE {
            if !lengthValues.isEmpty {
                return .failure(.badRequest("conflicting_framing", "both Content-Length and Transfer-Encoding"))
            }
            if !version.isAtLeast1_1 {
                return .failure(.badRequest("conflicting_framing", "Transfer-Encoding in an HTTP/1.0 request"))
            }
            let codings = headers.listElements(for: "Transfer-Encoding").map { $0.lowercased() }
            guard let last = codings.last, last == "chunked" else {
                return .failure(.badRequest("invalid_transfer_encoding", "chunked must be the final transfer coding"))
            }
            if codings.count > 1 {
                if codings.dropLast().contains("chunked") {
                    return .failure(.badRequest("invalid_transfer_encoding", "chunked applied more than once"))
                }
                return .failure(HTTPError(.notImplemented, code: "unsupported_transfer_encoding",
                                          message: "only the chunked transfer coding is supported"))
            }
            framing = .chunked
        } else if !lengthValues.isEmpty {
            switch parseContentLength(lengthValues) {
            case .success(let n): framing = n == 0 ? .none : .length(n)
            case .failure(let e): return .failure(e)
            }
        }

        // Connection options.
        let options = headers.listElements(for: "Connection").map { $0.lowercased() }
        let keepAlive: Bool
        if options.contains("close") {
            keepAlive = false
        } else if version.isAtLeast1_1 {
            keepAlive = true
        } else {
            keepAlive = options.contains("keep-alive")
        }

        // Expect (RFC 9110 §10.1.1); HTTP/1.0 expectations are ignored.
        var expectsContinue = false
        if version.isAtLeast1_1, let expect = headers["Expect"] {
            let e = expect.lowercased()
            if e == "100-continue" {
                expectsContinue = true
            } else if !e.isEmpty {
                return .failure(HTTPError(.expectationFailed, code: "expectation_failed", message: "unsupported expectation"))
            }
        }

        return .success(RequestHead(method: method, target: target, version: version, headers: headers,
                                    framing: framing, keepAlive: keepAlive, expectsContinue: expectsContinue))
    }

    /// 1*DIGIT; identical duplicates (as fields or list members) are one value, differing ones are an error.
    static func parseContentLength(_ values: [String]) -> Result<Int, HTTPError> {
        var result: Int?
        for value in values {
            for element in value.split(separator: ",", omittingEmptySubsequences: false) {
                let t = ASCII.trimmed(element)
                guard !t.isEmpty, t.utf8.allSatisfy(ASCII.isDigit) else {
                    return .failure(.badRequest("invalid_content_length", "invalid Content-Length"))
                }
                let digits = t.drop { $0 == "0" }
                guard digits.utf8.count <= 18, let n = Int(digits.isEmpty ? "0" : digits) else {
                    return .failure(HTTPError(.contentTooLarge, code: "body_too_large", message: "Content-Length too large"))
                }
                if let r = result, r != n {
                    return .failure(.badRequest("conflicting_content_length", "differing Content-Length values"))
                }
                result = n
            }
        }
        return .success(result ?? 0)
    }

    private static func hasHTTPScheme(_ target: String) -> Bool {
        let lower = target.prefix(8).lowercased()
        return lower.hasPrefix("http://") || lower.hasPrefix("https://")
    }

    /// reg-name / IP-literal / port characters.
    private static func isAuthorityByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "-._~!$&'()*+,;=:[]%".utf8.contains(c)
        }
    }
}
