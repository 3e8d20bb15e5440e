import DIPEngine
import Foundation
import Logging
import Synchronization

/// The scheduler of a service on its own store: the jobs' records, the FIFO queue, the
/// running fits and their event logs, all in memory behind one `Mutex`, held only for
/// bookkeeping and the record's write-through (never while fitting or encoding), so status
/// requests stay fast while every core fits. The store is read back whole at start.
final class LocalScheduler: JobScheduler {
    private struct State {
        var records: [JobID: JobRecord] = [:]
        /// Grows with every change to any record: rendered views are cached per (job, revision).
        var revision: UInt64 = 0
        var queue: [JobID] = []
        var runs: [JobID: Run] = [:]
        var idempotency: [String: JobID] = [:]
        var events: [JobID: JobEventLog] = [:]
        var nextSequence: UInt64 = 1
        var draining = false
        /// Queued jobs whose files are still being written: no worker takes them yet.
        var storing: Set<JobID> = []

        /// Queued jobs a user submitted (tile jobs ride on their tiled job's place).
        var queuedJobs: Int { queue.count { records[$0]?.isTile == false } }

        func snapshot(_ id: JobID) -> JobSnapshot? {
            guard let r = records[id] else { return nil }
            let position = r.state == .queued ? queue.firstIndex(of: id).map { $0 + 1 } : nil
            return JobSnapshot(record: r, queuePosition: position, iterationsPerSecond: runs[id]?.iterationsPerSecond,
                               revision: revision)
        }

        mutating func publish(_ id: JobID, _ payload: JobEvent.Payload) {
            events[id, default: JobEventLog()].publish(payload)
        }
    }

    let store: any JobStore
    let configuration: ServiceConfiguration
    let metrics: ServiceMetrics
    let logger: Logger
    let timing: SchedulerTiming
    private let state = Mutex(State())
    private let work = WorkSignal()
    /// Told of the lifecycle's `notify` effects (webhooks).
    private let notifier: any JobNotifier

    init(store: any JobStore, configuration: ServiceConfiguration, metrics: ServiceMetrics, logger: Logger,
         timing: SchedulerTiming? = nil, notifier: any JobNotifier = SilentNotifier()) {
        self.store = store
        self.notifier = notifier
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.timing = timing ?? SchedulerTiming(configuration, shared: false)
    }

    // MARK: Start-up

    /// Loads every stored job. Jobs that were running when the process stopped (it died: a
    /// drain saves them as queued) lost their run: they are queued again ahead of newer
    /// ones, in submission order, or fail once `max_lost_runs` of their runs were lost.
    func start() {
        let loaded = store.loadAll().sorted { $0.sequence < $1.sequence }
        var requeued = 0
        state.withLock { s in
            for var record in loaded {
                // A tiled job is running without a run of its own: its tiles are the queue's.
                if record.state == .running && !record.isTiled {
                    let effects = (try? JobLifecycle.apply(.lose(maxLostRuns: configuration.maxLostRuns, at: Date()), to: &record)) ?? []
                    if record.state == .failed { logger.warning("job \(record.id) failed: the process died during \(record.lostRuns ?? 0) of its runs") }
                    else { requeued += 1 }
                    s.records[record.id] = record
                    // Not the effects' queue position: recovered jobs keep submission order.
                    perform(effects.filter { $0 != .enqueue(front: true) && $0 != .publishState && $0 != .countFinished }, record, &s)
                }
                s.records[record.id] = record
                if record.state == .queued { s.queue.append(record.id) }
                if let key = record.idempotencyKey { s.idempotency[key] = record.id }
                s.nextSequence = max(s.nextSequence, record.sequence + 1)
            }
        }
        let queued = state.withLock { $0.queue.count }
        logger.info("loaded \(loaded.count) jobs from \(store.location): \(queued) queued (\(requeued) interrupted runs queued again)")
    }

    func stop() {}

    /// Carries out a transition's effects, under the lock.
    private func perform(_ effects: [JobLifecycle.Effect], _ record: JobRecord, _ s: inout State) {
        let id = record.id
        s.records[id] = record
        s.revision &+= 1
        for effect in effects {
            switch effect {
            case .save:
                do { try store.save(record) } catch { logger.error("job \(id): cannot save its record: \(error)") }
            case .publishState:
                guard let snap = s.snapshot(id) else { break }
                s.publish(id, .state(snap))
                if record.state.isFinished { s.publish(id, .done(snap)) }
            case .publishProgress:
                if s.runs[id]?.progressEventDue(record.progress, interval: timing.progressEvents) == true {
                    s.publish(id, .progress(record.progress))
                }
            case .publishSnapshot(let info):
                s.publish(id, .snapshot(info))
            case .enqueue(let front):
                if front { s.queue.insert(id, at: 0) } else { s.queue.append(id) }
                work.notifyAll()
            case .dequeue:
                s.queue.removeAll { $0 == id }
            case .stopRun:
                s.runs[id]?.cancel.cancel()
            case .clearSnapshots(let after):
                store.clearSnapshots(id, after: after)
            case .removeCheckpoints(let keeping):
                store.removeCheckpoints(id, keeping: keeping)
            case .countFinished:
                metrics.jobFinished(state: record.state, stopReason: record.stopReason, seconds: record.runSeconds)
            case .notify(let event):
                // Under the lock, so that a job's events reach the outbox in order.
                if let snap = s.snapshot(id) { notifier.notify(event, snap) }
            }
        }
    }

    /// Applies an event to a job's record; a refused one changes nothing (a late report of a
    /// run that was canceled or deleted meanwhile). Returns the record as it is after it.
    @discardableResult
    private func apply(_ event: JobLifecycle.Event, _ id: JobID, _ s: inout State) -> JobRecord? {
        guard var record = s.records[id] else { return nil }
        do {
            let effects = try JobLifecycle.apply(event, to: &record)
            perform(effects, record, &s)
        } catch {
            logger.debug("job \(id): \(error)")
        }
        return record
    }

    // MARK: Requests

    func existing(idempotencyKey key: String) throws -> JobRecord? {
        state.withLock { s in s.idempotency[key].flatMap { s.records[$0] } }
    }

    func admissionCheck() throws(JobRejection) {
        let rejection: JobRejection? = state.withLock { s in
            s.draining ? .draining : s.queuedJobs >= configuration.queueCapacity ? .queueFull : nil
        }
        if let rejection { throw rejection }
    }

    func submit(idempotencyKey: String?, inputs: [(file: String, bytes: [UInt8])],
                make: (JobID, UInt64) -> JobRecord) throws -> SubmitOutcome {
        let reserved: Result<JobRecord, Error> = state.withLock { s in
            if let key = idempotencyKey, let id = s.idempotency[key], let r = s.records[id] { return .failure(Existing(record: r)) }
            if s.draining { return .failure(JobRejection.draining) }
            if s.queuedJobs >= configuration.queueCapacity { return .failure(JobRejection.queueFull) }
            let record = make(JobID.random(), s.nextSequence)
            s.nextSequence += 1
            if let key = idempotencyKey { s.idempotency[key] = record.id }
            // The queue slot is held while the files are written, outside the lock; no
            // worker takes the job until they are.
            s.records[record.id] = record
            s.revision &+= 1
            s.queue.append(record.id)
            s.storing.insert(record.id)
            return .success(record)
        }
        let record: JobRecord
        switch reserved {
        case .success(let r): record = r
        case .failure(let e as Existing): return .existing(e.record)
        case .failure(let e): throw e
        }
        do {
            try store.create(record, inputs: inputs)
        } catch {
            state.withLock { s in
                s.records[record.id] = nil
                s.queue.removeAll { $0 == record.id }
                s.storing.remove(record.id)
                if let key = idempotencyKey { s.idempotency[key] = nil }
            }
            throw error
        }
        metrics.jobSubmitted(task: record.spec.task.rawValue)
        state.withLock { _ = $0.storing.remove(record.id) }
        work.notifyAll()
        return .created(record)
    }

    private struct Existing: Error { var record: JobRecord }

    func job(_ id: JobID) throws -> JobSnapshot? {
        state.withLock { $0.snapshot(id) }
    }

    func list(state wanted: JobState?, limit: Int, after: UInt64?) throws -> (jobs: [JobSnapshot], more: Bool) {
        state.withLock { s in
            let all = s.records.values
                .filter { !$0.isTile && (wanted == nil || $0.state == wanted) }
                .filter { after == nil || $0.sequence < after! }
                .sorted { $0.sequence > $1.sequence }
            return (all.prefix(limit).compactMap { s.snapshot($0.id) }, all.count > limit)
        }
    }

    func requestCancel(_ id: JobID) throws -> Bool? {
        state.withLock { s in
            guard let before = s.records[id]?.state else { return nil }
            apply(.cancel(at: Date()), id, &s)
            return before == .running
        }
    }

    func delete(_ id: JobID) throws -> Bool {
        let found = state.withLock { s in
            guard let record = s.records.removeValue(forKey: id) else { return false }
            s.revision &+= 1
            s.queue.removeAll { $0 == id }
            s.runs[id]?.cancel.cancel()
            if let key = record.idempotencyKey { s.idempotency[key] = nil }
            s.publish(id, .deleted(id))
            s.events[id] = nil
            return true
        }
        if found { store.delete(id) }
        return found
    }

    func subscribe(_ id: JobID, lastEventID: Int?) throws -> JobSubscription? {
        let opened: (JobSubscription, Int?)? = state.withLock { s in
            guard let snap = s.snapshot(id) else { return nil }
            var log = s.events[id] ?? JobEventLog()
            var initial: [JobEvent]
            if let last = lastEventID, let replay = log.replay(after: last) {
                initial = replay
            } else {
                initial = [JobEvent(id: log.lastID, payload: .status(snap))]
            }
            if snap.record.state.isFinished {
                if !initial.contains(where: { $0.kind == .done }) { initial.append(JobEvent(id: log.lastID, payload: .done(snap))) }
                s.events[id] = log
                return (JobSubscription(initial: initial, live: nil, unsubscribe: {}), nil)
            }
            let (key, stream) = log.subscribe()
            s.events[id] = log
            return (JobSubscription(initial: initial, live: stream, unsubscribe: {}), key)
        }
        guard let (opened1, key) = opened else { return nil }
        var subscription = opened1
        if let key {
            subscription.unsubscribe = { [weak self] in self?.state.withLock { _ = $0.events[id]?.unsubscribe(key) } }
        }
        return subscription
    }

    func counts() -> JobCounts {
        state.withLock { s in
            var byState: [JobState: Int] = [:]
            for r in s.records.values where !r.isTile { byState[r.state, default: 0] += 1 }
            return JobCounts(byState: byState, queued: s.queuedJobs, runs: s.runs, draining: s.draining)
        }
    }

    func sweep(finishedBefore date: Date) -> Int {
        let expired = state.withLock { s in
            // A tile job goes with its tiled job, not on its own.
            let expired = s.records.values.filter { r in !r.isTile && r.state.isFinished && (r.finishedAt.map { $0 < date } ?? false) }
            let gone = Set(expired.map(\.id))
            let tiles = s.records.values.filter { r in r.tileOf.map { gone.contains($0.parent) || s.records[$0.parent] == nil } ?? false }
            return (expired + tiles).map(\.id)
        }
        for id in expired { _ = try? delete(id) }
        if !expired.isEmpty { logger.info("removed \(expired.count) expired jobs") }
        return expired.count
    }

    func beginDraining() {
        state.withLock { s in
            s.draining = true
            s.runs.interruptAll()
        }
        work.notifyAll()
    }

    // MARK: Workers

    func takeNext(stopping: @escaping () -> Bool) -> (JobRecord, CancellationFlag)? {
        while true {
            let seen = work.current
            let taken: (JobRecord, CancellationFlag)?? = state.withLock { s in
                if stopping() || s.draining { return .some(nil) }
                let records = s.records
                s.queue.removeAll { records[$0] == nil }
                while let id = s.queue.first(where: { !s.storing.contains($0) }) {
                    let run = Run()
                    s.runs[id] = run
                    guard let record = apply(.start(at: Date()), id, &s), record.state == .running else {
                        s.runs[id] = nil
                        s.queue.removeAll { $0 == id }
                        continue
                    }
                    return .some((record, run.cancel))
                }
                return nil
            }
            if let taken { return taken }
            work.wait(past: seen)
        }
    }

    func wakeWorkers() { work.notifyAll() }

    func reportProgress(_ id: JobID, _ progress: JobRecord.ProgressInfo) {
        state.withLock { s in
            s.runs[id]?.iterationsPerSecond = progress.iterationsPerSecond ?? 0
            apply(.progress(progress), id, &s)
        }
        metrics.iterationDone()
    }

    func addSnapshot(_ id: JobID, _ info: JobRecord.SnapshotInfo) {
        state.withLock { s in _ = apply(.snapshot(info), id, &s) }
    }

    func noteCheckpoint(_ id: JobID, iteration: Int) {
        state.withLock { s in _ = apply(.checkpoint(iteration: iteration, at: Date()), id, &s) }
    }

    func dropCheckpoint(_ id: JobID) {
        state.withLock { s in _ = apply(.checkpointUnusable, id, &s) }
    }

    func finish(_ id: JobID, _ outcome: RunOutcome) {
        let record: JobRecord? = state.withLock { s in
            guard let run = s.runs.removeValue(forKey: id) else { return nil }
            if run.interrupted { apply(.interrupt, id, &s); return nil }
            switch outcome {
            case .finished(let stop, let result): return apply(.finish(stop: stop, result: result, at: Date()), id, &s)
            case .failed(let error): return apply(.fail(error, at: Date()), id, &s)
            }
        }
        if let record, record.state.isFinished {
            logger.info("job \(id) \(record.state.rawValue) after \(record.progress.iteration) iterations")
        }
    }

    func isInterrupted(_ id: JobID) -> Bool {
        state.withLock { $0.runs[id]?.interrupted == true }
    }

    func isCurrent(_ id: JobID) -> Bool {
        state.withLock { $0.records[id] != nil && $0.runs[id]?.leaseLost != true }
    }

    // MARK: Tiled jobs

    func submitTiled(idempotencyKey: String?, parent: JobRecord, inputs: [(file: String, bytes: [UInt8])],
                     tiles: [TileSubmission]) throws -> SubmitOutcome {
        let reserved: Result<(JobRecord, [TileSubmission]), Error> = state.withLock { s in
            if let key = idempotencyKey, let id = s.idempotency[key], let r = s.records[id] { return .failure(Existing(record: r)) }
            if s.draining { return .failure(JobRejection.draining) }
            if s.queuedJobs >= configuration.queueCapacity { return .failure(JobRejection.queueFull) }
            var parent = parent
            parent.sequence = s.nextSequence
            var tiles = tiles
            for i in tiles.indices { tiles[i].record.sequence = s.nextSequence + 1 + UInt64(i) }
            s.nextSequence += 1 + UInt64(tiles.count)
            if let key = idempotencyKey { s.idempotency[key] = parent.id }
            // As in `submit`: places held while the files are written, no worker takes a tile yet.
            s.records[parent.id] = parent
            for t in tiles {
                s.records[t.record.id] = t.record
                s.queue.append(t.record.id)
                s.storing.insert(t.record.id)
            }
            s.revision &+= 1
            return .success((parent, tiles))
        }
        let (record, tiles): (JobRecord, [TileSubmission])
        switch reserved {
        case .success(let r): (record, tiles) = r
        case .failure(let e as Existing): return .existing(e.record)
        case .failure(let e): throw e
        }
        var stored: [JobID] = []
        do {
            try store.create(record, inputs: inputs)
            stored.append(record.id)
            for t in tiles {
                try store.create(t.record, inputs: t.inputs)
                stored.append(t.record.id)
            }
        } catch {
            for id in stored { store.delete(id) }
            state.withLock { s in
                for id in [record.id] + tiles.map(\.record.id) {
                    s.records[id] = nil
                    s.storing.remove(id)
                }
                s.queue.removeAll { s.records[$0] == nil }
                if let key = idempotencyKey { s.idempotency[key] = nil }
            }
            throw error
        }
        metrics.jobSubmitted(task: record.spec.task.rawValue)
        state.withLock { s in for t in tiles { s.storing.remove(t.record.id) } }
        work.notifyAll()
        return .created(record)
    }

    func tiles(of parent: JobRecord) throws -> [JobRecord] {
        let ids = parent.tiling?.jobs.compactMap { $0 } ?? []
        return state.withLock { s in ids.compactMap { s.records[$0] } }
    }

    func settle(_ id: JobID, _ event: JobLifecycle.Event) throws -> JobRecord? {
        state.withLock { s in
            guard var record = s.records[id], s.runs[id] == nil,
                  let effects = try? JobLifecycle.apply(event, to: &record) else { return nil }
            perform(effects, record, &s)
            return record
        }
    }

    func publish(_ id: JobID, _ payload: JobEvent.Payload) {
        state.withLock { s in
            guard s.records[id] != nil else { return }
            s.revision &+= 1
            s.publish(id, payload)
        }
    }
}
