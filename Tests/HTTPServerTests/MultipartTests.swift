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
