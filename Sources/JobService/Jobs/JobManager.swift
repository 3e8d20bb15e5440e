import DIPEngine
import Foundation
import HTTPServer
import Logging

/// The jobs: their records, the FIFO queue, the running fits and their event logs.
/// All of it is guarded by one lock, held only for short bookkeeping (never while
/// fitting, encoding or writing files), so status requests stay fast while every core
/// fits. Workers (`WorkerPool`) take queued jobs and report back through the methods here.
///
/// With a store shared by several services (`SharedJobStore`), the store is the
/// authority instead and the memory holds only the jobs this service runs: see
/// `JobManager+Shared.swift`.
public final class JobManager: @unchecked Sendable {
    struct Running {
        let cancel = CancellationFlag()
        /// Stopped by a shutdown: goes back to the queue instead of being canceled.
        var interrupted = false
        /// Its lease went to another service (shared store): the run stops and writes nothing.
        var leaseLost = false
        var iterationsPerSecond = 0.0
        var lastProgressEvent = ContinuousClock.now - .seconds(10)
    }

    let lock = NSCondition()
    var records: [JobID: JobRecord] = [:] { didSet { revision &+= 1 } }
    /// Grows with every change to any record: rendered JSON is cached per (job, revision).
    var revision: UInt64 = 0
    private var queue: [JobID] = []
    var running: [JobID: Running] = [:]
    private var idempotency: [String: JobID] = [:]
    private var events: [JobID: JobEventLog] = [:]
    private var nextSequence: UInt64 = 1
    private(set) var draining = false

    let store: any JobStore
    /// Set when the store is shared with other services.
    let shared: (any SharedJobStore)?
    /// Shared store: the streams following jobs' events, by job; touched on `followQueue`
    /// and under the lock.
    var followers: [JobID: [Int: Follower]] = [:]
    var nextFollower = 0
    let followQueue = DispatchQueue(label: "dipd-event-followers")
    /// Shared store: appends this service's events to the store in order.
    let eventWriter = DispatchQueue(label: "dipd-event-writer")
    /// Shared store: every record read from it is new to the JSON cache.
    var sharedReads: UInt64 = 1 << 63
    let configuration: ServiceConfiguration
    let metrics: ServiceMetrics
    let logger: Logger

    public enum SubmitOutcome {
        case created(JobRecord)
        case existing(JobRecord)
    }

    public enum Rejection: Error, Equatable {
        case queueFull, draining
    }

    init(store: any JobStore, configuration: ServiceConfiguration, metrics: ServiceMetrics, logger: Logger) {
        self.store = store
        self.shared = store as? any SharedJobStore
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
    }

    // MARK: Start-up

    /// Loads every stored job. Jobs that were running when the process stopped (it died:
    /// a drain saves them as queued) are queued again, ahead of newer ones, in their
    /// submission order — or fail, once `max_lost_runs` of their runs have been lost so.
    func recover() {
        if let shared { return recoverShared(shared) }
        let loaded = store.loadAll().sorted { $0.sequence < $1.sequence }
        var requeued = 0
        lock.lock()
        for var record in loaded {
            if record.state == .running {
                let lost = (record.lostRuns ?? 0) + 1
                record.lostRuns = lost
                if lost >= configuration.maxLostRuns {
                    record.state = .failed
                    record.finishedAt = Date()
                    record.error = JobError(code: "run_lost", message: "the service stopped during \(lost == 1 ? "this job's run" : "each of this job's \(lost) runs") (a crash or an out-of-memory kill?); it is not run again (max_lost_runs \(configuration.maxLostRuns))")
                    logger.warning("job \(record.id) failed: the process died during \(lost) of its runs")
                } else {
                    record.state = .queued
                    record.result = nil
                    rewindToCheckpoint(&record)
                    requeued += 1
                }
                do { try store.save(record) } catch { logger.error("job \(record.id): \(error)") }
            }
            records[record.id] = record
            if record.state == .queued { queue.append(record.id) }
            if let key = record.idempotencyKey { idempotency[key] = record.id }
            nextSequence = max(nextSequence, record.sequence + 1)
        }
        lock.unlock()
        logger.info("loaded \(loaded.count) jobs from \(store.location): \(queue.count) queued (\(requeued) interrupted runs queued again)")
    }

    // MARK: Requests

    func existing(idempotencyKey key: String) throws -> JobRecord? {
        if let shared { return try shared.find(idempotencyKey: key) }
        lock.lock(); defer { lock.unlock() }
        return idempotency[key].flatMap { records[$0] }
    }

    /// Checks that a job would be taken now (for an early 429/503 before any decoding).
    func admissionCheck() throws(Rejection) {
        lock.lock(); defer { lock.unlock() }
        if draining { throw .draining }
        if shared == nil, queue.count >= configuration.queueCapacity { throw .queueFull }
    }

    /// Stores the job and queues it. `make` builds the record for the given ID and sequence.
    func submit(idempotencyKey: String?, inputs: [(file: String, bytes: [UInt8])],
                make: (JobID, UInt64) -> JobRecord) throws -> SubmitOutcome {
        if let shared { return try submitShared(shared, idempotencyKey: idempotencyKey, inputs: inputs, make: make) }
        lock.lock()
        if let key = idempotencyKey, let id = idempotency[key], let r = records[id] {
            lock.unlock(); return .existing(r)
        }
        if draining { lock.unlock(); throw Rejection.draining }
        if queue.count >= configuration.queueCapacity { lock.unlock(); throw Rejection.queueFull }
        let record = make(JobID.random(), nextSequence)
        nextSequence += 1
        if let key = idempotencyKey { idempotency[key] = record.id }
        // Reserve the queue slot while the files are written, outside the lock.
        queue.append(record.id)
        records[record.id] = record
        lock.unlock()
        do {
            try store.create(record, inputs: inputs)
        } catch {
            lock.lock()
            queue.removeAll { $0 == record.id }
            records[record.id] = nil
            if let key = idempotencyKey { idempotency[key] = nil }
            lock.unlock()
            throw error
        }
        metrics.jobSubmitted(task: record.spec.task.rawValue)
        lock.lock()
        lock.broadcast()
        lock.unlock()
        return .created(record)
    }

    public struct Snapshot: Sendable {
        public var record: JobRecord
        public var queuePosition: Int?
        public var iterationsPerSecond: Double?
        public var revision: UInt64 = 0
    }

    public func job(_ id: JobID) throws -> Snapshot? {
        if let shared { return try jobShared(shared, id) }
        lock.lock(); defer { lock.unlock() }
        return snapshotLocked(id)
    }

    private func snapshotLocked(_ id: JobID) -> Snapshot? {
        guard let r = records[id] else { return nil }
        let position = r.state == .queued ? queue.firstIndex(of: id).map { $0 + 1 } : nil
        return Snapshot(record: r, queuePosition: position, iterationsPerSecond: running[id]?.iterationsPerSecond, revision: revision)
    }

    /// Newest first; `after` is the sequence number of the last job of the previous page.
    public func list(state: JobState?, limit: Int, after: UInt64?) throws -> (jobs: [Snapshot], more: Bool) {
        if let shared { return try listShared(shared, state: state, limit: limit, after: after) }
        lock.lock(); defer { lock.unlock() }
        let all = records.values
            .filter { state == nil || $0.state == state }
            .filter { after == nil || $0.sequence < after! }
            .sorted { $0.sequence > $1.sequence }
        let page = all.prefix(limit).compactMap { snapshotLocked($0.id) }
        return (page, all.count > limit)
    }

    /// Waits until the job has finished or `timeout` has passed.
    public func waitUntilFinished(_ id: JobID, timeout: Duration) async throws -> Snapshot? {
        let deadline = ContinuousClock.now + timeout
        while true {
            guard let s = try job(id) else { return nil }
            if s.record.state.isFinished || ContinuousClock.now >= deadline { return s }
            try? await Task.sleep(for: .milliseconds(shared == nil ? 100 : 250))
        }
    }

    /// Cancels a queued job at once, or asks a running fit to stop (it does so within one
    /// iteration) and waits up to `wait` for it.
    public func cancel(_ id: JobID, wait: Duration = .seconds(5)) async throws -> Snapshot? {
        if let shared { try cancelShared(shared, id) }
        else { guard let running = requestCancel(id) else { return nil }
            if !running { return try job(id) }
        }
        return try await waitUntilFinished(id, timeout: wait)
    }

    /// nil: no such job; true: a running fit was asked to stop; false: done (or nothing to do).
    private func requestCancel(_ id: JobID) -> Bool? {
        lock.lock(); defer { lock.unlock() }
        guard var record = records[id] else { return nil }
        switch record.state {
        case .queued:
            queue.removeAll { $0 == id }
            record.state = .canceled
            record.stopReason = StopReason.canceled.rawValue
            record.finishedAt = Date()
            records[id] = record
            persist(record)
            publishStateLocked(record)
            metrics.jobFinished(state: .canceled, stopReason: nil, seconds: nil)
            return false
        case .running:
            running[id]?.cancel.cancel()
            return true
        default:
            return false
        }
    }

    /// Cancels the job if needed and removes it with its files.
    public func delete(_ id: JobID) throws -> Bool {
        if let shared { return try deleteShared(shared, id) }
        lock.lock()
        guard let record = records.removeValue(forKey: id) else { lock.unlock(); return false }
        queue.removeAll { $0 == id }
        running[id]?.cancel.cancel()
        if let key = record.idempotencyKey { idempotency[key] = nil }
        events[id]?.publish("deleted", #"{"id":"\#(id)"}"#)
        events[id]?.finishAll()
        events[id] = nil
        lock.unlock()
        store.delete(id)
        return true
    }

    // MARK: Events

    public enum Subscription {
        /// Events to send now, then a live stream (nil when the job has finished).
        case events([JobEvent], AsyncStream<JobEvent>?, unsubscribe: @Sendable () -> Void)
    }

    /// Replays what came after `lastEventID` (or a fresh `status` event when that is not
    /// known), then follows the job live until it finishes.
    public func subscribe(_ id: JobID, lastEventID: Int?, status: (Snapshot) -> String) throws -> Subscription? {
        if let shared { return try subscribeShared(shared, id, lastEventID: lastEventID, status: status) }
        lock.lock(); defer { lock.unlock() }
        guard let snap = snapshotLocked(id) else { return nil }
        var log = events[id] ?? JobEventLog()
        var initial: [JobEvent]
        if let last = lastEventID, let replay = log.replay(after: last) {
            initial = replay
        } else {
            initial = [JobEvent(id: max(0, log.nextID - 1), name: "status", data: status(snap))]
        }
        if snap.record.state.isFinished {
            if !initial.contains(where: { $0.name == "done" }) {
                initial.append(JobEvent(id: max(0, log.nextID - 1), name: "done", data: status(snap)))
            }
            events[id] = log
            return .events(initial, nil, unsubscribe: {})
        }
        let (key, stream) = log.subscribe()
        events[id] = log
        return .events(initial, stream, unsubscribe: { [weak self] in self?.unsubscribe(id, key) })
    }

    private func unsubscribe(_ id: JobID, _ key: Int) {
        lock.lock(); defer { lock.unlock() }
        events[id]?.subscribers[key]?.finish()
        events[id]?.subscribers[key] = nil
    }

    /// The JSON of a job as the API shows it; set by the API layer (it knows the links).
    var render: @Sendable (Snapshot) -> String = { _ in "{}" }

    private func publishLocked(_ id: JobID, _ name: String, _ data: String) {
        if let shared { return publishShared(shared, id, name, data) }
        var log = events[id] ?? JobEventLog()
        log.publish(name, data)
        events[id] = log
    }

    func publishStateLocked(_ record: JobRecord) {
        guard let snap = snapshotLocked(record.id) else { return }
        let json = render(snap)
        publishLocked(record.id, "state", json)
        if record.state.isFinished {
            publishLocked(record.id, "done", json)
            events[record.id]?.finishAll()
        }
    }

    private func persist(_ record: JobRecord) {
        if shared != nil { return }   // the worker holds the record in the store (`holdShared`)
        do { try store.save(record) } catch { logger.error("job \(record.id): cannot save its record: \(error)") }
    }

    // MARK: Workers' side

    /// Blocks until a job is queued (returning it, marked running) or the pool stops (nil).
    func takeNext(stopping: () -> Bool) -> (JobRecord, CancellationFlag)? {
        if let shared { return takeNextShared(shared, stopping: stopping) }
        lock.lock(); defer { lock.unlock() }
        while true {
            if stopping() || draining { return nil }
            if !queue.isEmpty {
                let id = queue.removeFirst()
                guard var record = records[id] else { continue }
                record.state = .running
                record.startedAt = Date()
                record.attempts += 1
                // A run that goes on from a checkpoint starts its progress there.
                record.progress = .init(iteration: record.checkpoint?.iteration ?? 0, total: record.parameters.iterations)
                records[id] = record
                let r = Running()
                running[id] = r
                persist(record)
                publishStateLocked(record)
                return (record, r.cancel)
            }
            lock.wait()
        }
    }

    func wakeWorkers() {
        lock.lock(); lock.broadcast(); lock.unlock()
    }

    func reportProgress(_ id: JobID, iteration: Int, total: Int, loss: Float, psnr: Double, rate: Double, seconds: Double) {
        lock.lock(); defer { lock.unlock() }
        guard var record = records[id], record.state == .running else { return }
        record.progress = .init(iteration: iteration, total: total, iterationsPerSecond: rate,
                                loss: Double(loss), psnrInput: psnr.isFinite ? psnr : nil, seconds: seconds)
        records[id] = record
        running[id]?.iterationsPerSecond = rate
        metrics.iterationDone()
        let now = ContinuousClock.now
        if let last = running[id]?.lastProgressEvent, now - last >= .milliseconds(250) || iteration == total {
            running[id]?.lastProgressEvent = now
            publishLocked(id, "progress", JobView.Progress.json(record.progress))
        }
    }

    func addSnapshot(_ id: JobID, _ info: JobRecord.SnapshotInfo, url: String) {
        lock.lock()
        guard var record = records[id] else { lock.unlock(); return }
        record.snapshots.append(info)
        records[id] = record
        persist(record)
        publishLocked(id, "snapshot", JobView.snapshotJSON(info, url: url))
        lock.unlock()
        if let shared { holdShared(shared, id) }
    }

    /// Ends a run: succeeded/canceled with a result, failed with an error, or back to the
    /// queue when a shutdown interrupted it.
    func finish(_ id: JobID, stop: StopReason?, result: JobRecord.ResultInfo?, error: JobError?) {
        if let shared { return finishShared(shared, id, stop: stop, result: result, error: error) }
        lock.lock(); defer { lock.unlock() }
        let run = running.removeValue(forKey: id)
        guard var record = records[id] else { return }   // deleted meanwhile
        if run?.interrupted == true {
            record.state = .queued
            rewindToCheckpoint(&record)
            records[id] = record
            queue.insert(id, at: 0)
            persist(record)
            return
        }
        conclude(&record, stop: stop, result: result, error: error)
        records[id] = record
        persist(record)
        publishStateLocked(record)
        let seconds = record.startedAt.map { record.finishedAt!.timeIntervalSince($0) }
        metrics.jobFinished(state: record.state, stopReason: record.stopReason, seconds: seconds)
        logger.info("job \(id) \(record.state.rawValue) after \(record.progress.iteration) iterations")
    }

    /// A finished run's record: succeeded or canceled with its result, or failed; its
    /// checkpoint is removed.
    func conclude(_ record: inout JobRecord, stop: StopReason?, result: JobRecord.ResultInfo?, error: JobError?) {
        record.finishedAt = Date()
        record.stopReason = stop?.rawValue
        record.result = result
        if record.checkpoint != nil {
            record.checkpoint = nil
            store.removeCheckpoint(record.id)
        }
        if let error {
            record.state = .failed
            record.error = error
        } else {
            record.state = stop == .canceled ? .canceled : .succeeded
        }
    }

    /// A run that stopped early goes on from its checkpoint: the progress and the
    /// snapshots return to it (to iteration 0 without one).
    func rewindToCheckpoint(_ record: inout JobRecord) {
        let kept = record.checkpoint?.iteration ?? 0
        record.progress = .init(iteration: kept, total: record.parameters.iterations)
        record.snapshots.removeAll { $0.iteration > kept }
        store.clearSnapshots(record.id, after: kept)
    }

    /// Runs `write`, and again every second while the store cannot be reached (the worker
    /// waits for the database to come back rather than lose the job's result), until a drain.
    func whileStoreUnavailable(_ write: () throws -> Void) throws {
        while true {
            do { return try write() } catch let e as JobStoreUnavailable {
                if draining { throw e }
                logger.warning("\(e); trying again in a second")
                Thread.sleep(forTimeInterval: 1)
            }
        }
    }

    /// A checkpoint of the running fit was saved.
    func noteCheckpoint(_ id: JobID, iteration: Int) {
        lock.lock()
        guard var record = records[id], record.state == .running else { lock.unlock(); return }
        record.checkpoint = .init(iteration: iteration, savedAt: Date())
        records[id] = record
        persist(record)
        lock.unlock()
        if let shared { holdShared(shared, id) }
    }

    /// The job's checkpoint cannot be used: the run starts from iteration 0.
    func dropCheckpoint(_ id: JobID) {
        lock.lock()
        guard var record = records[id] else { lock.unlock(); return }
        record.checkpoint = nil
        record.snapshots = []
        record.progress = .init(iteration: 0, total: record.parameters.iterations)
        store.removeCheckpoint(id)
        store.clearSnapshots(id)
        records[id] = record
        persist(record)
        lock.unlock()
        if let shared { holdShared(shared, id) }
    }

    /// Whether a shutdown stopped the job's run (it goes back to the queue).
    func isInterrupted(_ id: JobID) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return running[id]?.interrupted == true
    }

    func isCurrent(_ id: JobID) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return records[id] != nil && running[id]?.leaseLost != true
    }

    // MARK: Shutdown and retention

    /// Takes no more jobs; running fits stop between two layers and go back to the queue.
    func beginDraining() {
        lock.lock()
        draining = true
        for id in running.keys {
            running[id]?.interrupted = true
            running[id]?.cancel.cancel()
        }
        lock.broadcast()
        lock.unlock()
    }

    public struct Counts: Sendable {
        public var byState: [JobState: Int]
        public var queued: Int
        public var running: Int
        public var iterationsPerSecond: Double
        public var draining: Bool
    }

    public func counts() -> Counts {
        if let shared { return countsShared(shared) }
        lock.lock(); defer { lock.unlock() }
        var byState: [JobState: Int] = [:]
        for s in JobState.allCases { byState[s] = 0 }
        for r in records.values { byState[r.state, default: 0] += 1 }
        return Counts(byState: byState, queued: queue.count, running: running.count,
                      iterationsPerSecond: running.values.reduce(0) { $0 + $1.iterationsPerSecond }, draining: draining)
    }

    /// Removes finished jobs older than the retention time.
    func sweepExpired(now: Date = Date()) -> Int {
        let limit = TimeInterval(configuration.retentionSeconds)
        if let shared { return sweepShared(shared, before: now - limit) }
        lock.lock()
        let expired = records.values.filter { r in
            r.state.isFinished && (r.finishedAt.map { now.timeIntervalSince($0) > limit } ?? false)
        }.map(\.id)
        lock.unlock()
        for id in expired { _ = try? delete(id) }
        if !expired.isEmpty { logger.info("removed \(expired.count) expired jobs") }
        return expired.count
    }
}

/// Numbers for hand-written JSON: non-finite numbers become null.
enum JSONNumber {
    static func text(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "null" }
        if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
        return String(format: "%.6g", v)
    }
}
