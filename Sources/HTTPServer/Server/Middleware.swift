/// Code that runs around route handlers, for rules that hold across routes (access,
/// CORS, errors, metrics). It may answer on its own without calling `next`, change the
/// request it passes on, or change the response that comes back. Add it with `Router.use(_:)`.
public protocol Middleware: Sendable {
    func handle(_ request: Request, next: Handler) async throws -> Response
}
