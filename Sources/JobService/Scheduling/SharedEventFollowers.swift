import Foundation
import Logging
import Synchronization

/// The streams that follow jobs' events on a service sharing its store: a job's events are
/// read back from the store whenever it says there are new ones (whichever service wrote
/// them) and handed to each stream past the last event it has.
final class SharedEventFollowers: Sendable {
    private struct Follower {
        var continuation: AsyncStream<JobEvent>.Continuation
        var lastID: Int
    }

    private struct State {
        var byJob: [JobID: [Int: Follower]] = [:]
        var next = 0
    }

    private let store: any SharedJobStore
    private let logger: Logger
    private let state = Mutex(State())
    /// Subscriptions and deliveries run here one at a time, so that a stream starts
    /// exactly where the events sent first end.
    private let queue = DispatchQueue(label: "dipd-event-followers")

    init(store: any SharedJobStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// Events after `lastEventID` (or a `status` event of the job as `current` gives it),
    /// then the job live until it ends; nil when there is no such job.
    func subscribe(_ id: JobID, lastEventID: Int?, current: () throws -> JobSnapshot?) throws -> JobSubscription? {
        try queue.sync {
            guard let snap = try current() else { return nil }
            var initial: [JobEvent]
            if let last = lastEventID {
                initial = try store.events(id, after: last)
            } else {
                initial = [JobEvent(id: try store.lastEventID(id), payload: .status(snap))]
            }
            let lastID = max(lastEventID ?? 0, initial.map(\.id).max() ?? 0)
            if snap.record.state.isFinished {
                if !initial.contains(where: { $0.kind == .done }) { initial.append(JobEvent(id: lastID, payload: .done(snap))) }
                return JobSubscription(initial: initial, live: nil, unsubscribe: {})
            }
            let (stream, continuation) = AsyncStream<JobEvent>.makeStream(bufferingPolicy: .bufferingNewest(JobEventLog.capacity))
            let key = state.withLock { s in
                let key = s.next
                s.next += 1
                s.byJob[id, default: [:]][key] = Follower(continuation: continuation, lastID: lastID)
                return key
            }
            return JobSubscription(initial: initial, live: stream, unsubscribe: { [weak self] in self?.unfollow(id, key) })
        }
    }

    /// The store says the job has new events (or was deleted).
    func jobHasNewEvents(_ id: JobID) {
        queue.async { self.deliver(id) }
    }

    private func unfollow(_ id: JobID, _ key: Int) {
        state.withLock { s in
            s.byJob[id]?.removeValue(forKey: key)?.continuation.finish()
            if s.byJob[id]?.isEmpty == true { s.byJob[id] = nil }
        }
    }

    private func deliver(_ id: JobID) {
        guard let after = state.withLock({ $0.byJob[id]?.values.map(\.lastID).min() }) else { return }
        var events: [JobEvent]
        do {
            events = try store.events(id, after: after)
            if events.isEmpty, try store.find(id) == nil {
                events = [JobEvent(id: after + 1, payload: .deleted(id))]
            }
        } catch {
            logger.debug("job \(id): events not read: \(error)")
            return
        }
        state.withLock { s in
            guard var list = s.byJob[id] else { return }
            for (key, var f) in list {
                for e in events where e.id > f.lastID {
                    f.continuation.yield(e)
                    f.lastID = e.id
                    if e.kind.endsStream { f.continuation.finish() }
                }
                list[key] = f
            }
            s.byJob[id] = events.contains { $0.kind.endsStream } ? nil : list
        }
    }
}
