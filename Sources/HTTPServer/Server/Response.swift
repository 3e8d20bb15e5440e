/// What a handler returns. The server adds framing (Content-Length or chunked), `Date`,
/// `Connection` and the request ID; those set by the handler are ignored.
public struct Response: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: ResponseBody

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: ResponseBody = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func bytes(_ bytes: [UInt8], contentType: String = "application/octet-stream",
                             status: HTTPStatus = .ok) -> Response {
        Response(status: status, headers: ["Content-Type": contentType], body: .bytes(bytes))
    }

    public static func text(_ text: String, status: HTTPStatus = .ok) -> Response {
        bytes(Array(text.utf8), contentType: "text/plain; charset=utf-8", status: status)
    }

    /// A body that is already JSON text.
    public static func json(raw: String, status: HTTPStatus = .ok) -> Response {
        bytes(Array(raw.utf8), contentType: "application/json", status: status)
    }

    public static func error(_ error: HTTPError) -> Response {
        var r = bytes(error.jsonBody, contentType: "application/json", status: error.status)
        for field in error.headers { r.headers.add(name: field.name, value: field.value) }
        return r
    }

    /// A streamed body: `produce` writes to the connection over time; the response is
    /// chunked on HTTP/1.1 and close-delimited on HTTP/1.0.
    public static func stream(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(),
                              _ produce: @escaping @Sendable (BodyWriter) async throws -> Void) -> Response {
        Response(status: status, headers: headers, body: .stream(produce))
    }
}

public enum ResponseBody: Sendable {
    case empty
    case bytes([UInt8])
    case stream(@Sendable (BodyWriter) async throws -> Void)
}
