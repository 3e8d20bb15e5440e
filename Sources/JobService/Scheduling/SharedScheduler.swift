import DIPEngine
import Foundation
import Logging
import Synchronization

/// The scheduler of a service that shares its store with others (PostgreSQL). The store
/// is the authority for every job; this service's memory holds only the runs it has (their
/// records, with the latest progress) and the streams following jobs' events.
///
/// - A worker takes a job with `claim` (the oldest queued one, or one whose lease expired:
///   its run was lost, and goes on from its checkpoint) and holds it under a lease.
/// - The lease keeper (a thread this scheduler starts and stops) writes each running job's
///   record every `leaseRenewal` and renews its lease; the answer says whether someone asked
///   to cancel it, or that the lease went to another service (the fit then stops, writing nothing).
/// - Events are appended to the store in order and read back from it, so a client following
///   a job sees its events whichever service runs it.
final class SharedScheduler: JobScheduler {
    private struct State {
        /// The jobs this service runs.
        var records: [JobID: JobRecord] = [:]
        var runs: [JobID: Run] = [:]
        var draining = false
        var stopped = false
        /// Every snapshot handed out gets a new revision (a stored record may have changed).
        var revision: UInt64 = 1 << 63
    }

    let shared: any SharedJobStore
    var store: any JobStore { shared }
    let configuration: ServiceConfiguration
    let metrics: ServiceMetrics
    let logger: Logger
    let timing: SchedulerTiming
    private let state = Mutex(State())
    private let work = WorkSignal()
    /// Wakes the lease keeper early, to stop.
    private let keeperSignal = WorkSignal()
    private let keeperDone = DispatchSemaphore(value: 0)
    /// The streams following jobs' events, fed from the store.
    private let followers: SharedEventFollowers
    /// Appends this service's events to the store in order.
    private let eventWriter = DispatchQueue(label: "dipd-event-writer")
    /// Told of the lifecycle's `notify` effects (webhooks).
    private let notifier: any JobNotifier

    init(store: any SharedJobStore, configuration: ServiceConfiguration, metrics: ServiceMetrics, logger: Logger,
         timing: SchedulerTiming? = nil, notifier: any JobNotifier = SilentNotifier()) {
        self.shared = store
        self.notifier = notifier
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.timing = timing ?? SchedulerTiming(configuration, shared: true)
        self.followers = SharedEventFollowers(store: store, logger: logger)
    }

    // MARK: Start and stop

    func start() {
        do {
            let mine = try shared.expireOwnLeases()
            if mine > 0 { logger.info("\(mine) job(s) this service ran before it stopped are queued to be taken over") }
        } catch {
            logger.warning("leases of an earlier run of this service not released: \(error)")
        }
        shared.listen(queued: { [weak self] in self?.wakeWorkers() },
                      cancel: { [weak self] id in self?.stopLocalRun(id) },
                      events: { [followers] id in followers.jobHasNewEvents(id) })
        let keeper = Thread { [weak self] in
            while let self, !self.isStopped {
                let seen = self.keeperSignal.current
                self.renewLeases()
                self.keeperSignal.wait(past: seen, timeout: self.timing.leaseRenewal)
            }
            self?.keeperDone.signal()
        }
        keeper.name = "dipd-lease-keeper"
        keeper.start()
        let counts = (try? shared.countByState()) ?? [:]
        logger.info("jobs in \(store.location), shared as \(shared.owner): \(counts[.queued] ?? 0) queued, \(counts[.running] ?? 0) running")
    }

    /// Stops the lease keeper and the listener. Runs still held lose their leases when
    /// these expire (a drain has released them before).
    func stop() {
        let first = state.withLock { s in
            defer { s.stopped = true }
            return !s.stopped
        }
        guard first else { return }
        keeperSignal.notifyAll()
        _ = keeperDone.wait(timeout: .now() + 5)
        shared.stopListening()
    }

    private var isStopped: Bool { state.withLock { $0.stopped } }

    // MARK: Requests

    func existing(idempotencyKey key: String) throws -> JobRecord? {
        try shared.find(idempotencyKey: key)
    }

    func admissionCheck() throws(JobRejection) {
        if state.withLock({ $0.draining }) { throw .draining }
    }

    func submit(idempotencyKey: String?, inputs: [(file: String, bytes: [UInt8])],
                make: (JobID, UInt64) -> JobRecord) throws -> SubmitOutcome {
        if let key = idempotencyKey, let r = try shared.find(idempotencyKey: key) { return .existing(r) }
        try admissionCheck()
        if (try shared.countByState()[.queued] ?? 0) >= configuration.queueCapacity { throw JobRejection.queueFull }
        let record = make(JobID.random(), try shared.nextSequence())
        do {
            try shared.submit(record, inputs: inputs)
        } catch is DuplicateIdempotencyKey {
            if let key = idempotencyKey, let r = try shared.find(idempotencyKey: key) { return .existing(r) }
            throw JobStoreUnavailable(description: "a job with the same idempotency key was removed meanwhile")
        }
        metrics.jobSubmitted(task: record.spec.task.rawValue)
        return .created(record)
    }

    /// A job as stored; one running here is shown from memory (its progress is fresher than
    /// the last renewal's).
    func job(_ id: JobID) throws -> JobSnapshot? {
        guard let (record, position) = try shared.find(id) else { return nil }
        return state.withLock { s in
            s.revision &+= 1
            if record.state == .running, let r = s.records[id], let run = s.runs[id], !run.leaseLost {
                return JobSnapshot(record: r, queuePosition: nil, iterationsPerSecond: run.iterationsPerSecond, revision: s.revision)
            }
            return JobSnapshot(record: record, queuePosition: position,
                               iterationsPerSecond: record.state == .running ? record.progress.iterationsPerSecond : nil,
                               revision: s.revision)
        }
    }

    private func snapshot(_ record: JobRecord, _ position: Int?) -> JobSnapshot {
        state.withLock { s in
            s.revision &+= 1
            return JobSnapshot(record: record, queuePosition: position,
                               iterationsPerSecond: record.state == .running ? record.progress.iterationsPerSecond : nil,
                               revision: s.revision)
        }
    }

    func list(state wanted: JobState?, limit: Int, after: UInt64?) throws -> (jobs: [JobSnapshot], more: Bool) {
        let page = try shared.list(state: wanted, limit: limit, before: after)
        return (page.jobs.map { snapshot($0.record, $0.queuePosition) }, page.more)
    }

    /// A queued job is canceled at once; a running one is asked to stop, here or on the
    /// service that runs it (told through the store).
    func requestCancel(_ id: JobID) throws -> Bool? {
        if stopLocalRun(id) { return true }
        guard var (record, _) = try shared.find(id) else { return nil }
        guard record.state == .queued else {
            return record.state == .running ? try shared.requestCancel(id) : false
        }
        let effects = (try? JobLifecycle.apply(.cancel(at: Date()), to: &record)) ?? []
        guard try shared.replace(record, ifState: .queued) else {
            // Taken by a worker meanwhile: its service is asked to stop it.
            return try shared.requestCancel(id)
        }
        carryOut(effects, record)
        return false
    }

    /// Carries out the effects of a transition of a job no service holds, once its record is stored.
    func carryOut(_ effects: [JobLifecycle.Effect], _ record: JobRecord) {
        let id = record.id
        for effect in effects {
            switch effect {
            case .removeCheckpoints(let keeping): store.removeCheckpoints(id, keeping: keeping)
            case .clearSnapshots(let after): store.clearSnapshots(id, after: after)
            case .countFinished: metrics.jobFinished(state: record.state, stopReason: record.stopReason, seconds: record.runSeconds)
            default: break
            }
        }
        let snap = snapshot(record, nil)
        if effects.contains(.publishState) {
            publish(id, .state(snap))
            if record.state.isFinished { publish(id, .done(snap)) }
        }
        notify(effects, snap)
    }

    @discardableResult
    private func stopLocalRun(_ id: JobID) -> Bool {
        state.withLock { s in
            guard let run = s.runs[id] else { return false }
            run.cancel.cancel()
            return true
        }
    }

    func delete(_ id: JobID) throws -> Bool {
        state.withLock { s in
            if s.runs[id] != nil { s.runs[id]?.leaseLost = true; s.runs[id]?.cancel.cancel() }
        }
        return try shared.remove(id)
    }

    func counts() -> JobCounts {
        let stored = (try? shared.countByState()) ?? [:]
        return state.withLock { s in
            JobCounts(byState: stored, queued: stored[.queued] ?? 0, runs: s.runs, draining: s.draining)
        }
    }

    func sweep(finishedBefore date: Date) -> Int {
        do {
            let n = try shared.removeFinished(before: date)
            if n > 0 { logger.info("removed \(n) expired jobs") }
            return n
        } catch {
            logger.warning("expired jobs not removed: \(error)")
            return 0
        }
    }

    func beginDraining() {
        state.withLock { s in
            s.draining = true
            s.runs.interruptAll()
        }
        work.notifyAll()
    }

    // MARK: Events

    func publish(_ id: JobID, _ payload: JobEvent.Payload) {
        eventWriter.async { [shared, logger] in
            do { try shared.append(id, payload) } catch {
                logger.debug("job \(id): an event was not stored: \(error)")
            }
        }
    }

    /// Carries the transition's `notify` effects out, once what they tell of is stored.
    private func notify(_ effects: [JobLifecycle.Effect], _ snap: JobSnapshot) {
        for case .notify(let event) in effects { notifier.notify(event, snap) }
    }

    func subscribe(_ id: JobID, lastEventID: Int?) throws -> JobSubscription? {
        try followers.subscribe(id, lastEventID: lastEventID) { try job(id) }
    }

    // MARK: Workers

    /// Takes the next job from the store, waiting for a notification while there is none
    /// (or `claimPoll` at most: a lease that expires sends none).
    func takeNext(stopping: @escaping () -> Bool) -> (JobRecord, CancellationFlag)? {
        var failures = 0
        while true {
            let seen = work.current
            if stopping() || state.withLock({ $0.draining }) { return nil }
            do {
                if let (record, takenOver) = try shared.claim(leaseSeconds: configuration.leaseSeconds) {
                    failures = 0
                    if let taken = begin(record, takenOver: takenOver) { return taken }
                    continue    // that job failed instead of running: look for the next one at once
                }
                failures = 0
            } catch {
                if failures == 0 { logger.warning("no job can be taken now: \(error)") }
                failures += 1
            }
            if stopping() || state.withLock({ $0.draining }) { return nil }
            work.wait(past: seen, timeout: timing.claimPoll)
        }
    }

    /// Starts a claimed job's run here; a job whose earlier run was lost counts the loss
    /// first, and fails instead when too many of its runs were.
    private func begin(_ claimed: JobRecord, takenOver: Bool) -> (JobRecord, CancellationFlag)? {
        var record = claimed
        let startEffects: [JobLifecycle.Effect]
        do {
            if takenOver || record.state == .running {
                logger.warning("job \(record.id): its run was lost (its lease expired); taken over")
                let effects = try JobLifecycle.apply(.lose(maxLostRuns: configuration.maxLostRuns, at: Date()), to: &record)
                if record.state == .failed {
                    store.clearSnapshots(record.id, after: record.checkpoint?.iteration ?? 0)
                    store.removeCheckpoints(record.id, keeping: nil)
                    try shared.release(record, reason: "failed")
                    let snap = snapshot(record, nil)
                    publish(record.id, .state(snap))
                    publish(record.id, .done(snap))
                    notify(effects, snap)
                    metrics.jobFinished(state: .failed, stopReason: nil, seconds: nil)
                    return nil
                }
                store.clearSnapshots(record.id, after: record.checkpoint?.iteration ?? 0)
            }
            startEffects = try JobLifecycle.apply(.start(at: Date()), to: &record)
        } catch {
            logger.error("job \(record.id): \(error)")
            return nil
        }
        let run = Run()
        let snap = state.withLock { s in
            s.records[record.id] = record
            s.runs[record.id] = run
            s.revision &+= 1
            return JobSnapshot(record: record, queuePosition: nil, iterationsPerSecond: nil, revision: s.revision)
        }
        publish(record.id, .state(snap))
        hold(record.id)
        notify(startEffects, snap)
        return (record, run.cancel)
    }

    /// Applies an event to a job run here (nil: not run here, or refused).
    private func apply(_ event: JobLifecycle.Event, _ id: JobID) -> (JobRecord, [JobLifecycle.Effect])? {
        state.withLock { s in
            guard var record = s.records[id], s.runs[id]?.leaseLost != true else { return nil }
            guard let effects = try? JobLifecycle.apply(event, to: &record) else { return nil }
            s.records[id] = record
            s.revision &+= 1
            return (record, effects)
        }
    }

    /// Writes the record of a job run here and renews its lease; stops the fit when the
    /// job was canceled meanwhile or its lease went elsewhere.
    /// Returns whether the record was saved.
    @discardableResult
    private func hold(_ id: JobID) -> Bool {
        guard let record = state.withLock({ s in s.runs[id]?.leaseLost == false ? s.records[id] : nil }) else { return false }
        do {
            if try shared.hold(record, leaseSeconds: configuration.leaseSeconds) { stopLocalRun(id) }
            return true
        } catch is LeaseLost {
            let lost = state.withLock { s in
                guard s.runs[id] != nil else { return false }
                s.runs[id]?.leaseLost = true
                s.runs[id]?.cancel.cancel()
                return true
            }
            if lost { logger.warning("job \(id): its lease is no longer this service's; its fit stops here") }
        } catch {
            logger.debug("job \(id): lease not renewed now: \(error)")
        }
        return false
    }

    private func renewLeases() {
        for id in state.withLock({ Array($0.runs.keys) }) { hold(id) }
    }

    func wakeWorkers() { work.notifyAll() }

    func reportProgress(_ id: JobID, _ progress: JobRecord.ProgressInfo) {
        let due = state.withLock { s -> Bool in
            guard s.runs[id] != nil else { return false }
            s.runs[id]?.iterationsPerSecond = progress.iterationsPerSecond ?? 0
            return s.runs[id]?.progressEventDue(progress, interval: timing.progressEvents) == true
        }
        // The record's progress is saved with the next lease renewal.
        guard apply(.progress(progress), id) != nil else { return }
        metrics.iterationDone()
        if due { publish(id, .progress(progress)) }
    }

    func addSnapshot(_ id: JobID, _ info: JobRecord.SnapshotInfo) {
        guard let (record, effects) = apply(.snapshot(info), id) else { return }
        publish(id, .snapshot(info))
        hold(id)
        notify(effects, snapshot(record, nil))
    }

    func noteCheckpoint(_ id: JobID, iteration: Int) {
        guard apply(.checkpoint(iteration: iteration, at: Date()), id) != nil else { return }
        // Older checkpoints go once the stored record names the new one, not before.
        if hold(id) { store.removeCheckpoints(id, keeping: iteration) }
    }

    func dropCheckpoint(_ id: JobID) {
        guard apply(.checkpointUnusable, id) != nil else { return }
        store.removeCheckpoints(id, keeping: nil)
        store.clearSnapshots(id)
        hold(id)
    }

    func finish(_ id: JobID, _ outcome: RunOutcome) {
        let ended: (Run, JobRecord)? = state.withLock { s in
            guard let run = s.runs.removeValue(forKey: id), let record = s.records.removeValue(forKey: id) else { return nil }
            return run.leaseLost ? nil : (run, record)
        }
        guard let (run, before) = ended else { return }
        var record = before
        let event: JobLifecycle.Event
        if run.interrupted { event = .interrupt } else {
            switch outcome {
            case .finished(let stop, let result): event = .finish(stop: stop, result: result, at: Date())
            case .failed(let error): event = .fail(error, at: Date())
            }
        }
        let effects: [JobLifecycle.Effect]
        do { effects = try JobLifecycle.apply(event, to: &record) } catch {
            logger.error("job \(id): \(error)")
            return
        }
        for effect in effects {
            switch effect {
            case .clearSnapshots(let after): store.clearSnapshots(id, after: after)
            case .removeCheckpoints(let keeping): store.removeCheckpoints(id, keeping: keeping)
            default: break
            }
        }
        let reason = run.interrupted ? "drained" : record.state.rawValue
        do {
            try whileStoreUnavailable { try shared.release(record, reason: reason) }
        } catch is LeaseLost {
            logger.info("job \(id): deleted, or taken over by another service, while it ran here")
            return
        } catch {
            logger.warning("job \(id): its run's end was not saved (\(error)); another service will take it over")
            return
        }
        guard record.state.isFinished else { return }
        let snap = snapshot(record, nil)
        publish(id, .state(snap))
        publish(id, .done(snap))
        notify(effects, snap)
        metrics.jobFinished(state: record.state, stopReason: record.stopReason, seconds: record.runSeconds)
        logger.info("job \(id) \(record.state.rawValue) after \(record.progress.iteration) iterations")
    }

    func isInterrupted(_ id: JobID) -> Bool {
        state.withLock { $0.runs[id]?.interrupted == true }
    }

    func isCurrent(_ id: JobID) -> Bool {
        state.withLock { $0.runs[id] != nil && $0.runs[id]?.leaseLost != true }
    }
}
