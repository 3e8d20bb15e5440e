import HTTPServer
import Logging

/// A job store that cannot be reached is a 503, one that is full a 507, each with
/// `Retry-After`, whichever route met it: nothing was lost, and the client may try again.
struct StoreOutageMiddleware: Middleware {
    let retryAfterSeconds: Int
    let logger: Logger

    func handle(_ request: Request, next: Handler) async throws -> Response {
        do {
            return try await next(request)
        } catch let error as JobStoreUnavailable {
            logger.warning("\(error)")
            throw APIError.storageUnavailable(retryAfterSeconds: retryAfterSeconds)
        } catch let error as JobStoreFull {
            logger.warning("\(error)")
            throw APIError.insufficientStorage(retryAfterSeconds: retryAfterSeconds)
        }
    }
}
