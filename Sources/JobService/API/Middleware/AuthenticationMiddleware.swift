import HTTPServer

/// The API key on every `/v1/` route. The web page, the health checks and the API
/// document stay public; so do CORS preflights, which browsers send without credentials.
struct AuthenticationMiddleware: Middleware {
    let gate: AccessGate

    func handle(_ request: Request, next: Handler) async throws -> Response {
        if request.route.hasPrefix("/v1/"), request.method != .options { try gate.authorize(request) }
        return try await next(request)
    }
}
