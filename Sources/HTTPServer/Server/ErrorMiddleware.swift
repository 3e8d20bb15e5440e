/// Answers an `HTTPResponseError` thrown further in with its JSON response, so that
/// middleware outside this one (CORS headers, metrics) sees it like any response.
/// Other errors go on up: the connection logs them and answers 500.
public struct ErrorMiddleware: Middleware {
    public init() {}

    public func handle(_ request: Request, next: Handler) async throws -> Response {
        do {
            return try await next(request)
        } catch let error as any HTTPResponseError {
            return Response(error: error)
        }
    }
}
