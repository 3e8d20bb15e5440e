import Foundation
import HTTPServer
import Testing

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

    struct Point: Codable, Equatable { var x: Int; var y: Int }

    @Test func jsonBodies() async throws {
        var router = Router()
        router.post("/double") { request in
            let p = try request.decodeJSON(Point.self)
            return try .json(Point(x: p.x * 2, y: p.y * 2), status: .created)
        }
        var config = ServerConfiguration.test
        config.requestIDHeader = nil
        try await withServer(config, router: router) { _, port in
            let c = try RawClient(port: port)
            let body = #"{"x":1,"y":-2}"#
            try c.send("POST /double HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            let ok = try #require(c.readResponse())
            #expect(ok.status == 201 && ok.header("X-Request-ID") == nil)
            #expect(try JSONDecoder().decode(Point.self, from: Data(ok.body)) == Point(x: 2, y: -4))
            try c.send("POST /double HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}")
            #expect(c.readResponse()?.status == 415)
            try c.send("POST /double HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{]")
            let bad = try #require(c.readResponse())
            #expect(bad.status == 400 && bad.text.contains("invalid_json"))
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
