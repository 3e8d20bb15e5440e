import HTTPServer
import Testing

/// Adds its name to `X-Trace` on the way in (in the request) and on the way out (in the response).
private struct Tracer: Middleware {
    let name: String
    func handle(_ request: Request, next: Handler) async throws -> Response {
        var request = request
        request.headers.add(name: "X-Trace", value: "\(name)>")
        var response = try await next(request)
        response.headers.add(name: "X-Trace", value: "<\(name)")
        return response
    }
}

private struct Gone: HTTPResponseError {
    var status: HTTPStatus { HTTPStatus(code: 410, reason: "Gone") }
    var code: String { "gone" }
    var message: String { "it went" }
}

private func get(_ port: Int, _ target: String, _ headers: String = "", method: String = "GET") throws -> ClientResponse {
    let c = try RawClient(port: port)
    try c.send("\(method) \(target) HTTP/1.1\r\nHost: x\r\n\(headers)\r\n")
    return try #require(c.readResponse())
}

@Suite("Middleware")
struct MiddlewareTests {
    @Test func middlewareWrapsRoutesAddedBeforeAndAfterFirstOutermost() async throws {
        var router = Router()
        router.get("/before/{id}") { request in
            .text(request.headers.values(for: "X-Trace").joined() + " route=" + request.route)
        }
        router.use(Tracer(name: "outer"))
        router.use(Tracer(name: "inner"))
        router.get("/after") { request in .text(request.headers.values(for: "X-Trace").joined()) }
        try await withServer(router: router) { _, port in
            let before = try get(port, "/before/7")
            #expect(before.text == "outer>inner> route=/before/{id}")
            #expect(before.headers.filter { $0.0 == "X-Trace" }.map(\.1) == ["<inner", "<outer"])
            #expect(try get(port, "/after").text == "outer>inner>")
        }
    }

    @Test func errorMiddlewareAnswersResponseErrorsInsideOtherMiddleware() async throws {
        var router = Router()
        router.use(Tracer(name: "outer"))
        router.use(ErrorMiddleware())
        router.get("/gone") { _ in throw Gone() }
        try await withServer(router: router) { _, port in
            let r = try get(port, "/gone")
            #expect(r.status == 410 && r.header("Content-Type") == "application/json")
            #expect(r.text == #"{"error":{"code":"gone","message":"it went"}}"#)
            #expect(r.header("X-Trace") == "<outer")
        }
    }

    @Test func routerListsThePathsMethods() {
        var router = Router()
        router.get("/items/{id}") { _ in .text("") }
        router.delete("/items/{id}") { _ in .text("") }
        router.post("/items") { _ in .text("") }
        #expect(router.methods(for: "/items/7") == [.get, .delete, .head])
        #expect(router.methods(for: "/items") == [.post])
        #expect(router.methods(for: "/other").isEmpty)
    }

    static func corsRouter() -> Router {
        var router = Router()
        router.use(CORSMiddleware(allowedOrigins: ["https://app.example"], allowedHeaders: ["Authorization"],
                                  exposedHeaders: ["Location"], maxAgeSeconds: 60))
        router.get("/items/{id}") { _ in .text("item") }
        router.delete("/items/{id}") { _ in Response(status: .noContent) }
        router.post("/items") { _ in .text("made", status: .created) }
        return router
    }

    @Test func preflightIsAnsweredWithTheMethodsOfThePathsRoutes() async throws {
        try await withServer(router: Self.corsRouter()) { _, port in
            let preflight = "Origin: https://app.example\r\nAccess-Control-Request-Method: DELETE\r\n"
            let item = try get(port, "/items/7", preflight, method: "OPTIONS")
            #expect(item.status == 204)
            #expect(item.header("Access-Control-Allow-Origin") == "https://app.example")
            #expect(item.header("Access-Control-Allow-Methods") == "GET, DELETE, HEAD, OPTIONS")
            #expect(item.header("Access-Control-Allow-Headers") == "Authorization")
            #expect(item.header("Access-Control-Max-Age") == "60")
            #expect(item.header("Vary") == "Origin")
            let items = try get(port, "/items", preflight, method: "OPTIONS")
            #expect(items.header("Access-Control-Allow-Methods") == "POST, OPTIONS")
            #expect(try get(port, "/nowhere", preflight, method: "OPTIONS").status == 404)
        }
    }

    @Test func otherOriginsGetNoCORSHeaders() async throws {
        try await withServer(router: Self.corsRouter()) { _, port in
            let preflight = try get(port, "/items/7", "Origin: https://evil.example\r\nAccess-Control-Request-Method: DELETE\r\n",
                                    method: "OPTIONS")
            #expect(preflight.status == 204 && preflight.header("Access-Control-Allow-Origin") == nil)
            #expect(preflight.header("Allow") == "GET, DELETE, HEAD, OPTIONS")
            let plain = try get(port, "/items/7", "Origin: https://evil.example\r\n")
            #expect(plain.text == "item" && plain.header("Access-Control-Allow-Origin") == nil)
        }
    }

    @Test func responsesToAnAllowedOriginNameItAndTheReadableHeaders() async throws {
        try await withServer(router: Self.corsRouter()) { _, port in
            let r = try get(port, "/items/7", "Origin: https://app.example\r\n")
            #expect(r.text == "item")
            #expect(r.header("Access-Control-Allow-Origin") == "https://app.example")
            #expect(r.header("Access-Control-Expose-Headers") == "Location")
            #expect(r.header("Access-Control-Allow-Methods") == nil)
        }
    }
}
