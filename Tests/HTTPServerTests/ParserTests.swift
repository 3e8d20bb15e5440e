import HTTPServer
import Testing

/// What parsing a byte stream produced: complete requests, then possibly an error.
struct ParseOutcome: Equatable {
    var requests: [(head: RequestHead, body: [UInt8], trailers: HTTPHeaders)] = []
    var error: HTTPError?
    var pending = false

    static func == (a: ParseOutcome, b: ParseOutcome) -> Bool {
        a.error == b.error && a.pending == b.pending && a.requests.count == b.requests.count
            && zip(a.requests, b.requests).allSatisfy { $0.head == $1.head && $0.body == $1.body && $0.trailers == $1.trailers }
    }
}

/// Feeds `input` in pieces of `step` bytes (0 = all at once).
func parseAll(_ input: [UInt8], step: Int = 0, limits: ParserLimits = ParserLimits(), bodyLimit: Int = 1 << 20) -> ParseOutcome {
    var parser = RequestParser(limits: limits, bodyLimit: bodyLimit)
    var buffer = ByteBuffer()
    var outcome = ParseOutcome()
    var current: (RequestHead, [UInt8])?
    var offset = 0
    while true {
        let end = step == 0 ? input.count : min(input.count, offset + step)
        if offset < end {
            buffer.append(contentsOf: input[offset..<end])
            offset = end
        }
        event: while true {
            switch parser.next(&buffer) {
            case .needMore: break event
            case .head(let h): current = (h, [])
            case .body(let b): current?.1.append(contentsOf: b)
            case .end(let trailers):
                outcome.requests.append((current!.0, current!.1, trailers))
                current = nil
            case .error(let e):
                outcome.error = e
                return outcome
            }
        }
        if offset == input.count { break }
    }
    outcome.pending = current != nil || !parser.isIdle || !buffer.isEmpty
    return outcome
}

func parseAll(_ text: String, step: Int = 0, limits: ParserLimits = ParserLimits(), bodyLimit: Int = 1 << 20) -> ParseOutcome {
    parseAll(Array(text.utf8), step: step, limits: limits, bodyLimit: bodyLimit)
}

struct ValidCase: CustomTestStringConvertible, Sendable {
    var name: String
    var raw: String
    var method = "GET"
    var target = "/"
    var body = ""
    var framing = BodyFraming.none
    var keepAlive = true
    var expectsContinue = false
    var requests = 1
    var testDescription: String { name }
}

struct InvalidCase: CustomTestStringConvertible, Sendable {
    var name: String
    var raw: String
    var status: Int
    var code: String? = nil
    var limits = ParserLimits()
    var testDescription: String { name }
}

let smallLimits: ParserLimits = {
    var l = ParserLimits()
    l.maxRequestLineLength = 64
    l.maxHeaderLineLength = 64
    l.maxHeaderBytes = 256
    l.maxHeaderCount = 4
    l.maxChunkLineLength = 32
    return l
}()

let validCases: [ValidCase] = [
    ValidCase(name: "simple GET", raw: "GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
    ValidCase(name: "HTTP/1.0 without Host closes by default", raw: "GET /x HTTP/1.0\r\n\r\n", target: "/x", keepAlive: false),
    ValidCase(name: "HTTP/1.0 keep-alive", raw: "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
    ValidCase(name: "HTTP/1.1 Connection: close", raw: "GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n", keepAlive: false),
    ValidCase(name: "Content-Length body", raw: "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
              method: "POST", target: "/p", body: "hello", framing: .length(5)),
    ValidCase(name: "Content-Length zero", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", method: "POST"),
    ValidCase(name: "identical duplicate Content-Length", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
              method: "POST", body: "abc", framing: .length(3)),
    ValidCase(name: "Content-Length list of equal values", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc",
              method: "POST", body: "abc", framing: .length(3)),
    ValidCase(name: "chunked body", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
              method: "POST", body: "hello world", framing: .chunked),
    ValidCase(name: "chunked, upper-case hex and extensions",
              raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\nA;name=\"v\"\r\n0123456789\r\n0 ;last\r\n\r\n",
              method: "POST", body: "0123456789", framing: .chunked),
    ValidCase(name: "chunked with trailers",
              raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n",
              method: "POST", body: "abc", framing: .chunked),
    ValidCase(name: "Expect: 100-continue", raw: "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nx",
              method: "PUT", body: "x", framing: .length(1), expectsContinue: true),
    ValidCase(name: "Expect ignored on HTTP/1.0", raw: "GET / HTTP/1.0\r\nExpect: something\r\n\r\n", keepAlive: false),
    ValidCase(name: "leading CRLF before request line", raw: "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
    ValidCase(name: "pipelined requests", raw: "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nokGET /3 HTTP/1.1\r\nHost: a\r\n\r\n",
              target: "/1", requests: 3),
    ValidCase(name: "absolute-form target", raw: "GET http://a/x?y=1 HTTP/1.1\r\nHost: a\r\n\r\n", target: "http://a/x?y=1"),
    ValidCase(name: "OPTIONS *", raw: "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", method: "OPTIONS", target: "*"),
    ValidCase(name: "HTTP/1.2 treated as 1.1", raw: "GET / HTTP/1.2\r\nHost: a\r\n\r\n"),
    ValidCase(name: "empty header value and OWS", raw: "GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Pad: \t v \t\r\n\r\n"),
    ValidCase(name: "obs-text in value", raw: "GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf\u{e9}\r\n\r\n"),
    ValidCase(name: "unknown method token", raw: "PURGE /x HTTP/1.1\r\nHost: a\r\n\r\n", method: "PURGE", target: "/x"),
    ValidCase(name: "IPv6 host with port", raw: "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"),
]

let invalidCases: [InvalidCase] = [
    // Request smuggling and framing confusion.
    InvalidCase(name: "Content-Length with Transfer-Encoding",
                raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 400, code: "conflicting_framing"),
    InvalidCase(name: "Transfer-Encoding before Content-Length",
                raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", status: 400, code: "conflicting_framing"),
    InvalidCase(name: "differing duplicate Content-Length",
                raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", status: 400, code: "conflicting_content_length"),
    InvalidCase(name: "differing Content-Length list", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n", status: 400),
    InvalidCase(name: "signed Content-Length", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello", status: 400),
    InvalidCase(name: "negative Content-Length", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", status: 400),
    InvalidCase(name: "hex Content-Length", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", status: 400),
    InvalidCase(name: "empty Content-Length", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", status: 400),
    InvalidCase(name: "huge Content-Length", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", status: 413),
    InvalidCase(name: "Transfer-Encoding on HTTP/1.0", raw: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 400),
    InvalidCase(name: "chunked not last", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", status: 400),
    InvalidCase(name: "chunked twice", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400),
    InvalidCase(name: "unsupported coding", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", status: 501),
    InvalidCase(name: "Transfer-Encoding: identity", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", status: 400),
    InvalidCase(name: "space before colon in Transfer-Encoding",
                raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", status: 400, code: "malformed_header"),
    InvalidCase(name: "obs-fold", raw: "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", status: 400, code: "obs_fold"),
    InvalidCase(name: "obs-fold on Transfer-Encoding",
                raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n", status: 400, code: "obs_fold"),
    InvalidCase(name: "NUL in header value", raw: "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u{0}c\r\n\r\n", status: 400, code: "invalid_header_value"),
    InvalidCase(name: "bare CR in header value", raw: "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n", status: 400, code: "invalid_header_value"),
    InvalidCase(name: "bare LF line ending", raw: "GET / HTTP/1.1\nHost: a\n\n", status: 400, code: "bare_lf"),
    InvalidCase(name: "bare LF inside head", raw: "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", status: 400, code: "bare_lf"),
    InvalidCase(name: "missing Host on HTTP/1.1", raw: "GET / HTTP/1.1\r\n\r\n", status: 400, code: "missing_host"),
    InvalidCase(name: "two Host headers", raw: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", status: 400, code: "duplicate_host"),
    InvalidCase(name: "Host with space", raw: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", status: 400, code: "invalid_host"),
    InvalidCase(name: "header without colon", raw: "GET / HTTP/1.1\r\nHost: a\r\nnocolon\r\n\r\n", status: 400),
    InvalidCase(name: "empty header name", raw: "GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n", status: 400),
    InvalidCase(name: "non-token header name", raw: "GET / HTTP/1.1\r\nHost: a\r\nX(a): v\r\n\r\n", status: 400),
    // Malformed request lines.
    InvalidCase(name: "double space in request line", raw: "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
    InvalidCase(name: "trailing space after version", raw: "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", status: 400),
    InvalidCase(name: "missing version", raw: "GET /\r\nHost: a\r\n\r\n", status: 400),
    InvalidCase(name: "lower-case version", raw: "GET / http/1.1\r\nHost: a\r\n\r\n", status: 400),
    InvalidCase(name: "HTTP/2.0", raw: "GET / HTTP/2.0\r\nHost: a\r\n\r\n", status: 505),
    InvalidCase(name: "space in target", raw: "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
    InvalidCase(name: "control byte in target", raw: "GET /a\u{1}b HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
    InvalidCase(name: "non-token method", raw: "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
    InvalidCase(name: "relative target", raw: "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, code: "invalid_target"),
    InvalidCase(name: "asterisk for GET", raw: "GET * HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
    InvalidCase(name: "leading whitespace before method", raw: " GET / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
    InvalidCase(name: "unsupported expectation", raw: "GET / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n", status: 417),
    // Limits.
    InvalidCase(name: "request line too long", raw: "GET /" + String(repeating: "a", count: 100) + " HTTP/1.1\r\nHost: a\r\n\r\n",
                status: 414, limits: smallLimits),
    InvalidCase(name: "header line too long", raw: "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "v", count: 100) + "\r\n\r\n",
                status: 431, limits: smallLimits),
    InvalidCase(name: "too many headers", raw: "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\n\r\n", status: 431, limits: smallLimits),
    InvalidCase(name: "head too large", raw: "GET / HTTP/1.1\r\nHost: a\r\n" + String(repeating: "X: " + String(repeating: "v", count: 60) + "\r\n", count: 5) + "\r\n",
                status: 431, limits: { var l = smallLimits; l.maxHeaderCount = 100; return l }()),
    InvalidCase(name: "endless CRLFs before request", raw: String(repeating: "\r\n", count: 200), status: 431, limits: smallLimits),
    // Chunked bodies.
    InvalidCase(name: "chunk size not hex", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", status: 400, code: "invalid_chunked_body"),
    InvalidCase(name: "empty chunk size", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", status: 400),
    InvalidCase(name: "negative chunk size", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", status: 400),
    InvalidCase(name: "0x-prefixed chunk size", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", status: 400),
    InvalidCase(name: "space inside chunk size", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1 0\r\n", status: 400),
    InvalidCase(name: "chunk size overflow", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF1\r\n", status: 413),
    InvalidCase(name: "chunk data longer than size", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n", status: 400),
    InvalidCase(name: "bare LF after chunk size", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", status: 400),
    InvalidCase(name: "bare CR after chunk size", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\rabc\r\n0\r\n\r\n", status: 400),
    InvalidCase(name: "control byte in chunk extension", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;a\u{0}\r\nabc\r\n0\r\n\r\n", status: 400),
    InvalidCase(name: "chunk line too long", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + String(repeating: "0", count: 40) + "1\r\n", status: 400, limits: smallLimits),
    InvalidCase(name: "obs-fold in trailer", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: a\r\n b\r\n\r\n", status: 400, code: "obs_fold"),
    InvalidCase(name: "NUL in trailer", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: a\u{0}\r\n\r\n", status: 400),
    InvalidCase(name: "body over limit (Content-Length)", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n", status: 413),
    InvalidCase(name: "body over limit (chunked)", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3E8\r\n" + String(repeating: "x", count: 1000) + "\r\n3E8\r\n", status: 413),
]

@Suite("Request parser")
struct ParserTests {
    @Test("valid requests", arguments: validCases)
    func valid(_ c: ValidCase) throws {
        let outcome = parseAll(c.raw)
        #expect(outcome.error == nil, "\(outcome.error.map(String.init(describing:)) ?? "")")
        #expect(!outcome.pending)
        try #require(outcome.requests.count == c.requests)
        let first = outcome.requests[0]
        #expect(first.head.method.rawValue == c.method)
        #expect(first.head.target == c.target)
        #expect(first.head.framing == c.framing)
        #expect(first.head.keepAlive == c.keepAlive)
        #expect(first.head.expectsContinue == c.expectsContinue)
        #expect(first.body == Array(c.body.utf8))
        // The same bytes split at every byte boundary give the same result.
        #expect(parseAll(c.raw, step: 1) == outcome)
        #expect(parseAll(c.raw, step: 7) == outcome)
    }

    @Test("invalid requests are rejected with the right status", arguments: invalidCases)
    func invalid(_ c: InvalidCase) {
        let outcome = parseAll(c.raw, limits: c.limits, bodyLimit: 1024)
        #expect(outcome.error?.status.code == c.status, "got \(outcome.error.map(String.init(describing:)) ?? "no error")")
        if let code = c.code { #expect(outcome.error?.code == code) }
        #expect(outcome.requests.isEmpty)
        #expect(parseAll(c.raw, step: 1, limits: c.limits, bodyLimit: 1024) == outcome)
    }

    @Test func trailersAreReturned() {
        let outcome = parseAll("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-Checksum: abc\r\nX-B: 2\r\n\r\n")
        #expect(outcome.requests.first?.trailers["x-checksum"] == "abc")
        #expect(outcome.requests.first?.trailers.count == 2)
    }

    @Test func incompleteRequestWaitsForMore() {
        let outcome = parseAll("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
        #expect(outcome.error == nil && outcome.requests.isEmpty && outcome.pending)
    }

    @Test func smuggledSecondRequestIsNeverParsed() {
        // CL.TE: a front end using Content-Length would forward the "GET /admin" as body.
        let raw = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 33\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n"
        let outcome = parseAll(raw)
        #expect(outcome.requests.isEmpty)
        #expect(outcome.error?.status.code == 400)
    }

    @Test func errorJSONBody() {
        let e = HTTPError(.badRequest, code: "x", message: "quote \" and \\ and \n")
        #expect(String(decoding: e.jsonBody, as: UTF8.self) == #"{"error":{"code":"x","message":"quote \" and \\ and \n"}}"#)
    }
}
