import Foundation
import HTTPServer

/// A job's events as Server-Sent Events: what happened so far (or since `Last-Event-ID`),
/// then live ones until the job is done or deleted.
struct EventRoutes: JobLookup, Sendable {
    let jobs: any JobScheduler
    let links: LinkBuilder
    /// Between events, a comment line this often keeps proxies from closing the stream
    /// (`sse_heartbeat_seconds`).
    let heartbeat: Duration

    func register(on router: inout Router) {
        router.get("/v1/jobs/{id}/events", events)
    }

    @Sendable func events(_ request: Request) async throws -> Response {
        let id = try jobID(request)
        let lastID = request.headers["Last-Event-ID"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard let subscription = try jobs.subscribe(id, lastEventID: lastID) else {
            throw APIError.jobNotFound(id.rawValue)
        }
        let links = self.links
        @Sendable func send(_ e: JobEvent, _ events: EventStream) async throws {
            try await events.send(event: e.kind.rawValue, data: JobEventView.data(e, of: id, links: links), id: String(e.id))
        }
        return .eventStream { events in
            defer { subscription.unsubscribe() }
            for e in subscription.initial { try await send(e, events) }
            guard let stream = subscription.live else { return }
            if subscription.initial.contains(where: { $0.kind.endsStream }) { return }
            let (items, stop) = Self.withHeartbeats(stream, every: heartbeat)
            defer { stop() }
            for await item in items {
                switch item {
                case .event(let e):
                    try await send(e, events)
                    if e.kind.endsStream { return }
                case .heartbeat:
                    try await events.heartbeat()
                }
            }
        }
    }

    enum Item: Sendable { case event(JobEvent), heartbeat }

    /// The job's live events with a heartbeat between them, and what stops both.
    static func withHeartbeats(_ stream: AsyncStream<JobEvent>, every heartbeat: Duration) -> (AsyncStream<Item>, stop: @Sendable () -> Void) {
        let (merged, continuation) = AsyncStream<Item>.makeStream()
        let forward = Task {
            for await e in stream { continuation.yield(.event(e)) }
            continuation.finish()
        }
        let beat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: heartbeat)
                continuation.yield(.heartbeat)
            }
        }
        return (merged, { forward.cancel(); beat.cancel(); continuation.finish() })
    }
}
