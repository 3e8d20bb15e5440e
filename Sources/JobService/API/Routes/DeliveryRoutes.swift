import Foundation
import HTTPServer

/// A job's webhook deliveries, oldest first: what was sent, how often, and how it went.
struct DeliveryRoutes: JobLookup, Sendable {
    let jobs: any JobScheduler
    let deliveries: any DeliveryStore

    func register(on router: inout Router) {
        router.get("/v1/jobs/{id}/deliveries", list)
    }

    @Sendable func list(_ request: Request) async throws -> Response {
        let id = try jobID(request)
        _ = try job(id)
        let list = DeliveryView.List(deliveries: try deliveries.deliveries(id).map(DeliveryView.init))
        return .json(raw: String(decoding: try JSONEncoder.service().encode(list), as: UTF8.self))
    }
}
