import DIPTasks
import Foundation
import Logging
import Synchronization

/// What a scheduler tells of a job's life: it carries the lifecycle's `notify` effects out
/// through this, with the job as it is after the transition.
protocol JobNotifier: Sendable {
    func notify(_ event: WebhookEvent, _ job: JobSnapshot)
}

/// Tells no one: a scheduler's default, where no webhook is sent.
struct SilentNotifier: JobNotifier {
    func notify(_ event: WebhookEvent, _ job: JobSnapshot) {}
}

/// Turns the events a job's spec asks for into deliveries in the store, then wakes the
/// sender. The body is made now (the job as it is at the event), so that retries send the
/// same bytes. Snapshot events are thinned to one per `snapshotInterval` per job.
final class WebhookOutbox: JobNotifier {
    let store: any DeliveryStore
    let links: LinkBuilder
    let snapshotInterval: TimeInterval
    let metrics: ServiceMetrics
    let logger: Logger
    /// Moved on when a delivery is added: the sender waits on it.
    let added = WorkSignal()
    private let lastSnapshot = Mutex<[JobID: Date]>([:])
    private let now: @Sendable () -> Date

    init(store: any DeliveryStore, links: LinkBuilder, snapshotInterval: TimeInterval, metrics: ServiceMetrics, logger: Logger,
         now: @escaping @Sendable () -> Date = Date.init) {
        self.store = store; self.links = links; self.snapshotInterval = snapshotInterval
        self.metrics = metrics; self.logger = logger; self.now = now
    }

    func notify(_ event: WebhookEvent, _ job: JobSnapshot) {
        let spec = job.record.spec
        guard let url = spec.webhook, spec.notifiedEvents.contains(event) else { return }
        let id = job.record.id
        let date = now()
        let due = lastSnapshot.withLock { last in
            switch event {
            case .snapshot:
                if let previous = last[id], date.timeIntervalSince(previous) < snapshotInterval { return false }
                last[id] = date
            case .completed: last[id] = nil
            case .started: break
            }
            return true
        }
        guard due else { return }
        let body = WebhookEnvelope.json(event, at: date, job: job, links: links)
        do {
            _ = try store.add(Delivery(job: id, sequence: 0, event: event, url: url, body: body, createdAt: date))
            metrics.webhookQueued(event: event.rawValue)
            added.notifyAll()
        } catch {
            logger.error("job \(id): its \(event.rawValue) webhook delivery cannot be stored: \(error)")
        }
    }
}
