import HTTPServer

/// Counts and times every routed request by route pattern (not by path, so that job ids
/// do not make a new series each), method and status.
struct MetricsMiddleware: Middleware {
    let metrics: ServiceMetrics

    func handle(_ request: Request, next: Handler) async throws -> Response {
        let start = ContinuousClock.now
        func record(_ status: Int) {
            let elapsed = ContinuousClock.now - start
            metrics.request(route: request.route, method: request.method.rawValue, status: status,
                            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        }
        do {
            let response = try await next(request)
            record(response.status.code)
            return response
        } catch {
            // What no middleware turned into a response, the connection answers with a 500.
            record(500)
            throw error
        }
    }
}
