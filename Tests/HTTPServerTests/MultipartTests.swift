import HTTPServer
import Testing

@Suite("multipart/form-data parser")
struct MultipartTests {
    static let body = Array((
        "preamble to ignore\r\n"
        + "--XyZ\r\n"
        + "Content-Disposition: form-data; name=\"title\"\r\n\r\n"
        + "a photo\r\n"
        + "--XyZ\r\n"
        + "Content-Disposition: form-data; name=\"file\"; filename=\"my \\\"cat\\\".png\"\r\n"
        + "Content-Type: image/png\r\n\r\n"
        + "\u{1}\u{2}--XyZ-not-a-boundary\r\n--Xy\r\n"
        + "--XyZ--\r\n"
        + "epilogue"
    ).utf8)

    @Test func parsesPartsWithQuotedParameters() throws {
        let parts = try MultipartFormData.parse(body: Self.body, contentType: "multipart/form-data; boundary=\"XyZ\"")
        #expect(parts.count == 2)
        #expect(parts[0].name == "title" && parts[0].filename == nil && parts[0].body == Array("a photo".utf8))
        #expect(parts[1].name == "file" && parts[1].filename == "my \"cat\".png" && parts[1].contentType == "image/png")
        #expect(parts[1].body == Array("\u{1}\u{2}--XyZ-not-a-boundary\r\n--Xy".utf8))
    }

    @Test("same parts whatever the feeding", arguments: [1, 2, 3, 5, 13, 64])
    func splitInvariance(step: Int) throws {
        var parser = try MultipartParser(boundary: "XyZ")
        var events: [MultipartEvent] = []
        var i = 0
        while i < Self.body.count {
            events += try parser.feed(Self.body[i..<min(i + step, Self.body.count)])
            i += step
        }
        try parser.finish()
        // Merge data events, whose boundaries depend on the feeding.
        var merged: [MultipartEvent] = []
        for e in events {
            if case .partData(let d) = e, case .partData(let prev)? = merged.last {
                merged[merged.count - 1] = .partData(prev + d)
            } else {
                merged.append(e)
            }
        }
        var whole = try MultipartParser(boundary: "XyZ")
        #expect(merged == (try whole.feed(Self.body)))
    }

    @Test func rejectsTruncatedBody() {
        let truncated = Array(Self.body[0..<(Self.body.count - 20)])
        #expect(throws: HTTPError.self) { try MultipartFormData.parse(body: truncated, contentType: "multipart/form-data; boundary=XyZ") }
    }

    @Test func rejectsMissingName() {
        let body = Array("--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--".utf8)
        #expect(throws: HTTPError.self) { try MultipartFormData.parse(body: body, contentType: "multipart/form-data; boundary=b") }
    }

    @Test func enforcesPartSizeAndCount() throws {
        var limits = MultipartLimits()
        limits.maxPartSize = 4
        do {
            _ = try MultipartFormData.parse(body: Self.body, contentType: "multipart/form-data; boundary=XyZ", limits: limits)
            Issue.record("expected 413")
        } catch {
            #expect(error.status.code == 413 && error.code == "part_too_large")
        }
        limits = MultipartLimits()
        limits.maxParts = 1
        do {
            _ = try MultipartFormData.parse(body: Self.body, contentType: "multipart/form-data; boundary=XyZ", limits: limits)
            Issue.record("expected 413")
        } catch {
            #expect(error.code == "too_many_parts")
        }
    }

    @Test func rejectsWrongContentTypeAndBadBoundary() {
        #expect(throws: HTTPError.self) { try MultipartFormData.parse(body: Self.body, contentType: "application/json") }
        #expect(throws: HTTPError.self) { try MultipartFormData.parse(body: Self.body, contentType: nil) }
        #expect(throws: HTTPError.self) { try MultipartParser(boundary: String(repeating: "b", count: 71)) }
        #expect(throws: HTTPError.self) { try MultipartParser(boundary: "") }
    }

    @Test func headerParameters() throws {
        let p = try #require(HeaderParameters(parsing: "Multipart/Form-Data ; Boundary=\"a;b\\\"c\" ; charset=utf-8"))
        #expect(p.value == "multipart/form-data")
        #expect(p["boundary"] == "a;b\"c")
        #expect(p["charset"] == "utf-8")
        #expect(HeaderParameters(parsing: "form-data; name=\"unterminated") == nil)
    }
}

@Suite("Router")
struct RouterTests {
    @Test func pathParametersQueryAndDecoding() async throws {
        try await withServer { _, port in
            let c = try RawClient(port: port)
            try c.send("GET /jobs/a%20b%2Fc HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(c.readResponse()?.text == "job=a b/c")
            try c.send("GET /info?name=J%C3%BCrgen+X&flag&n=1&n=2 HTTP/1.1\r\nHost: x\r\n\r\n")
            let text = c.readResponse()?.text ?? ""
            #expect(text.contains("q.name=Jürgen X"))
            #expect(text.contains("q.flag=\n") || text.hasSuffix("q.flag="))
            #expect(text.contains("q.n=1\nq.n=2"))
        }
    }

    @Test func notFoundMethodNotAllowedAndHead() async throws {
        try await withServer { _, port in
            let c = try RawClient(port: port)
            try c.send("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
            let r404 = try #require(c.readResponse())
            #expect(r404.status == 404 && r404.header("Content-Type") == "application/json")
            #expect(r404.text == #"{"error":{"code":"not_found","message":"no route for this path"}}"#)
            try c.send("DELETE /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            let r405 = try #require(c.readResponse())
            #expect(r405.status == 405 && r405.header("Allow") == "GET, HEAD")
            try c.send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            let head = try #require(c.readResponse(head: true))
            #expect(head.status == 200 && head.header("Content-Length") == "5")
            // The connection is still in sync after a HEAD: no body was sent.
            try c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(c.readResponse()?.text == "hello")
        }
    }

    @Test func dotSegmentsAndBadEscapesAreRejected() async throws {
        try await withServer { _, port in
            for target in ["/jobs/..", "/jobs/%2e%2e", "/jobs/%zz", "/jobs/%00"] {
                let c = try RawClient(port: port)
                try c.send("GET \(target) HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(c.readResponse()?.status == 400, "\(target)")
            }
        }
    }

    @Test func handlerErrorsBecomeJSON() async throws {
        try await withServer { _, port in
            let c = try RawClient(port: port)
            try c.send("GET /teapot HTTP/1.1\r\nHost: x\r\n\r\nGET /fail HTTP/1.1\r\nHost: x\r\n\r\n")
            let teapot = try #require(c.readResponse())
            #expect(teapot.status == 418 && teapot.text.contains("\"teapot\""))
            let fail = try #require(c.readResponse())
            #expect(fail.status == 500 && fail.text.contains("internal_error"))
        }
    }

    @Test func requestIDIsEchoedOrGenerated() async throws {
        try await withServer { _, port in
            let c = try RawClient(port: port)
            try c.send("GET /info HTTP/1.1\r\nHost: x\r\nX-Request-ID: abc-123\r\n\r\n")
            let echoed = try #require(c.readResponse())
            #expect(echoed.header("X-Request-ID") == "abc-123" && echoed.text.contains("request_id=abc-123"))
            try c.send("GET /info HTTP/1.1\r\nHost: x\r\nX-Request-ID: bad id <script>\r\n\r\n")
            let generated = try #require(c.readResponse())
            let id = try #require(generated.header("X-Request-ID"))
            #expect(id.count == 16 && id != "bad id <script>")
        }
    }
}
