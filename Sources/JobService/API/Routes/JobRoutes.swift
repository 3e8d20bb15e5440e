import Foundation
import HTTPServer
import Logging

/// The jobs collection and each job: submit, list, look at (optionally waiting for the
/// end), cancel and delete.
struct JobRoutes: JobLookup, Sendable {
    let jobs: any JobScheduler
    let configuration: ServiceConfiguration
    let views: JobViewCache
    let links: LinkBuilder
    let classifier: ClassifierProvider
    let threadsPerWorker: Int
    let logger: Logger

    func register(on router: inout Router) {
        router.post("/v1/jobs", bodyLimit: configuration.limits.maxUploadBytes, submit)
        router.get("/v1/jobs", list)
        router.get("/v1/jobs/{id}", show)
        router.delete("/v1/jobs/{id}", delete)
        router.post("/v1/jobs/{id}/cancel", cancel)
    }

    func jobResponse(_ s: JobSnapshot, status: HTTPStatus = .ok) -> Response {
        .json(raw: views.json(s), status: status)
    }

    @Sendable func list(_ request: Request) async throws -> Response {
        for (name, _) in request.query.pairs where !["state", "limit", "cursor"].contains(name) {
            throw APIError.invalidQuery(field: name, problem: "unknown parameter (known: state, limit, cursor)")
        }
        var state: JobState?
        if let s = request.query["state"] {
            guard let v = JobState(rawValue: s) else {
                throw APIError.invalidQuery(field: "state", problem: "must be one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            state = v
        }
        var limit = 20
        if let l = request.query["limit"] {
            guard let v = Int(l), (1...100).contains(v) else {
                throw APIError.invalidQuery(field: "limit", problem: "must be an integer from 1 to 100")
            }
            limit = v
        }
        var after: UInt64?
        if let c = request.query["cursor"], !c.isEmpty {
            guard let v = UInt64(c) else { throw APIError.invalidQuery(field: "cursor", problem: "not a cursor this service made") }
            after = v
        }
        let page = try jobs.list(state: state, limit: limit, after: after)
        let items = page.jobs.map { views.json($0) }.joined(separator: ",")
        let next = page.more ? page.jobs.last.map { JSONString.quoted(String($0.record.sequence)) } ?? "null" : "null"
        return .json(raw: #"{"jobs":[\#(items)],"next_cursor":\#(next)}"#)
    }

    @Sendable func show(_ request: Request) async throws -> Response {
        let id = try jobID(request)
        var s = try job(id)
        if let wait = Self.preferWait(request.headers["Prefer"], max: configuration.limits.maxWaitSeconds), !s.record.state.isFinished {
            s = try await jobs.waitUntilFinished(id, timeout: .seconds(wait)) ?? s
            var r = jobResponse(s)
            r.headers.add(name: "Preference-Applied", value: "wait=\(wait)")
            return r
        }
        return jobResponse(s)
    }

    /// `Prefer: wait=N` (RFC 7240), clamped to the configured maximum.
    static func preferWait(_ header: String?, max: Int) -> Int? {
        guard let header else { return nil }
        for item in header.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "wait", let n = Int(pair[1]), n >= 0 { return min(n, max) }
        }
        return nil
    }

    @Sendable func delete(_ request: Request) async throws -> Response {
        let id = try jobID(request)
        guard try jobs.delete(id) else { throw APIError.jobNotFound(id.rawValue) }
        return Response(status: .noContent)
    }

    @Sendable func cancel(_ request: Request) async throws -> Response {
        let id = try jobID(request)
        guard let s = try await jobs.cancel(id) else { throw APIError.jobNotFound(id.rawValue) }
        return jobResponse(s)
    }
}
