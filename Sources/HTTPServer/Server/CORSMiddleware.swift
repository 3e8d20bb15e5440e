/// Cross-origin resource sharing for the listed origins (`*` for any). Responses to an
/// allowed origin name it and the headers its scripts may read; a preflight (OPTIONS with
/// `Access-Control-Request-Method`) is answered with the methods the router's `Allow`
/// gives for the path, so the routes alone say what a browser may call.
/// Requests from other origins pass unchanged: the browser then keeps their answers from the page.
public struct CORSMiddleware: Middleware {
    public var allowedOrigins: [String]
    /// Request headers a page may send (`Access-Control-Allow-Headers`).
    public var allowedHeaders: [String]
    /// Response headers a page may read (`Access-Control-Expose-Headers`).
    public var exposedHeaders: [String]
    /// How long a browser may keep a preflight's answer.
    public var maxAgeSeconds: Int

    public init(allowedOrigins: [String], allowedHeaders: [String] = [], exposedHeaders: [String] = [],
                maxAgeSeconds: Int = 600) {
        self.allowedOrigins = allowedOrigins
        self.allowedHeaders = allowedHeaders
        self.exposedHeaders = exposedHeaders
        self.maxAgeSeconds = maxAgeSeconds
    }

    public func handle(_ request: Request, next: Handler) async throws -> Response {
        guard let origin = allowedOrigin(request) else { return try await next(request) }
        var response = try await next(request)
        response.headers.replaceOrAdd(name: "Access-Control-Allow-Origin", value: origin)
        if origin != "*" { response.headers.add(name: "Vary", value: "Origin") }
        if request.method == .options, request.headers.contains("Access-Control-Request-Method") {
            if let allow = response.headers["Allow"] {
                response.headers.replaceOrAdd(name: "Access-Control-Allow-Methods", value: allow)
            }
            if !allowedHeaders.isEmpty {
                response.headers.replaceOrAdd(name: "Access-Control-Allow-Headers", value: allowedHeaders.joined(separator: ", "))
            }
            response.headers.replaceOrAdd(name: "Access-Control-Max-Age", value: String(maxAgeSeconds))
        } else if !exposedHeaders.isEmpty {
            response.headers.replaceOrAdd(name: "Access-Control-Expose-Headers", value: exposedHeaders.joined(separator: ", "))
        }
        return response
    }

    /// The value of `Access-Control-Allow-Origin` for this request, nil when its origin is not allowed.
    private func allowedOrigin(_ request: Request) -> String? {
        guard !allowedOrigins.isEmpty, let origin = request.headers["Origin"] else { return nil }
        if allowedOrigins.contains("*") { return "*" }
        return allowedOrigins.contains(origin) ? origin : nil
    }
}
