import DIPEngine
import Foundation
import Logging

/// The job manager on a store that several services share. The store is the authority
/// for every job; this service's memory holds only the jobs it runs (their records, with
/// the latest progress), and the streams following jobs' events.
///
/// - A worker takes a job with `claim` (the oldest queued one, or one whose lease expired:
///   its run was lost, and goes on from its checkpoint) and holds it under a lease.
/// - Once a second the heartbeat writes each running job's record (its progress) and
///   renews its lease; the answer says whether someone asked to cancel it, or that the
///   lease went to another service (the fit then stops and writes nothing more).
/// - Events are appended to the store in order and read back from it, so a client
///   following a job sees its events whichever service runs it.
extension JobManager {
    struct Follower {
        var continuation: AsyncStream<JobEvent>.Continuation
        var lastID: Int
    }

    // MARK: Start-up

    func recoverShared(_ shared: any SharedJobStore) {
        do {
            let mine = try shared.expireOwnLeases()
            if mine > 0 { logger.info("\(mine) job(s) this service ran before it stopped are queued to be taken over") }
        } catch {
            logger.warning("leases of an earlier run of this service not released: \(error)")
        }
        shared.listen(queued: { [weak self] in self?.wakeWorkers() },
                      cancel: { [weak self] id in self?.cancelLocalRun(id) },
                      events: { [weak self] id in
                          guard let self else { return }
                          self.followQueue.async { self.deliverEvents(shared, id) }
                      })
        let heartbeat = Thread { [weak self] in
            while let self {
                self.beat(shared)
                Thread.sleep(forTimeInterval: 1)
            }
        }
        heartbeat.name = "dipd-heartbeat"
        heartbeat.start()
        let counts = (try? shared.countByState()) ?? [:]
        logger.info("jobs in \(store.location), shared as \(shared.owner): \(counts[.queued] ?? 0) queued, \(counts[.running] ?? 0) running")
    }

    // MARK: Requests

    func submitShared(_ shared: any SharedJobStore, idempotencyKey: String?, inputs: [(file: String, bytes: [UInt8])],
                      make: (JobID, UInt64) -> JobRecord) throws -> SubmitOutcome {
        if let key = idempotencyKey, let r = try shared.find(idempotencyKey: key) { return .existing(r) }
        if draining { throw Rejection.draining }
        if (try shared.countByState()[.queued] ?? 0) >= configuration.queueCapacity { throw Rejection.queueFull }
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
    /// the last heartbeat's).
    func jobShared(_ shared: any SharedJobStore, _ id: JobID) throws -> Snapshot? {
        guard let (record, position) = try shared.find(id) else { return nil }
        lock.lock()
        if record.state == .running, let r = records[id], let run = running[id], !run.leaseLost {
            defer { lock.unlock() }
            return Snapshot(record: r, queuePosition: nil, iterationsPerSecond: run.iterationsPerSecond, revision: revision)
        }
        lock.unlock()
        return snapshot(record, position)
    }

    private func snapshot(_ record: JobRecord, _ position: Int?) -> Snapshot {
        lock.lock(); defer { lock.unlock() }
        sharedReads &+= 1
        return Snapshot(record: record, queuePosition: position,
                        iterationsPerSecond: record.state == .running ? record.progress.iterationsPerSecond : nil,
                        revision: sharedReads)
    }

    func listShared(_ shared: any SharedJobStore, state: JobState?, limit: Int, after: UInt64?) throws -> (jobs: [Snapshot], more: Bool) {
        let page = try shared.list(state: state, limit: limit, before: after)
        return (page.jobs.map { snapshot($0.record, $0.queuePosition) }, page.more)
    }

    /// A queued job is canceled at once; a running one is asked to stop, here or on the
    /// service that runs it (told through the store).
    func cancelShared(_ shared: any SharedJobStore, _ id: JobID) throws {
        if cancelLocalRun(id) { return }
        if let canceled = try shared.cancel(id, at: Date()) {
            metrics.jobFinished(state: .canceled, stopReason: nil, seconds: nil)
            let json = render(snapshot(canceled, nil))
            publishShared(shared, id, "state", json)
            publishShared(shared, id, "done", json)
        }
    }

    @discardableResult
    func cancelLocalRun(_ id: JobID) -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard let run = running[id] else { return false }
        run.cancel.cancel()
        return true
    }

    func deleteShared(_ shared: any SharedJobStore, _ id: JobID) throws -> Bool {
        lock.lock()
        if running[id] != nil { running[id]?.leaseLost = true; running[id]?.cancel.cancel() }
        lock.unlock()
        return try shared.remove(id)
    }

    func countsShared(_ shared: any SharedJobStore) -> Counts {
        let stored = (try? shared.countByState()) ?? [:]
        lock.lock(); defer { lock.unlock() }
        var byState: [JobState: Int] = [:]
        for s in JobState.allCases { byState[s] = stored[s] ?? 0 }
        return Counts(byState: byState, queued: byState[.queued] ?? 0, running: running.count,
                      iterationsPerSecond: running.values.reduce(0) { $0 + $1.iterationsPerSecond }, draining: draining)
    }

    func sweepShared(_ shared: any SharedJobStore, before date: Date) -> Int {
        do {
            let n = try shared.removeFinished(before: date)
            if n > 0 { logger.info("removed \(n) expired jobs") }
            return n
        } catch {
            logger.warning("expired jobs not removed: \(error)")
            return 0
        }
    }

    // MARK: Events

    func publishShared(_ shared: any SharedJobStore, _ id: JobID, _ name: String, _ data: String) {
        eventWriter.async { [logger] in
            do { try shared.append(id, event: name, data: data) } catch {
                logger.debug("job \(id): a \(name) event was not stored: \(error)")
            }
        }
    }

    /// Runs on `followQueue`, like the delivery of new events, so that a stream starts
    /// exactly where the events sent first end.
    func subscribeShared(_ shared: any SharedJobStore, _ id: JobID, lastEventID: Int?, status: (Snapshot) -> String) throws -> Subscription? {
        try followQueue.sync {
            guard let snap = try job(id) else { return nil }
            var initial: [JobEvent]
            if let last = lastEventID {
                initial = try shared.events(id, after: last)
            } else {
                initial = [JobEvent(id: try shared.lastEventID(id), name: "status", data: status(snap))]
            }
            let lastID = max(lastEventID ?? 0, initial.map(\.id).max() ?? 0)
            if snap.record.state.isFinished {
                if !initial.contains(where: { $0.name == "done" }) {
                    initial.append(JobEvent(id: lastID, name: "done", data: status(snap)))
                }
                return .events(initial, nil, unsubscribe: {})
            }
            let (stream, continuation) = AsyncStream<JobEvent>.makeStream(bufferingPolicy: .bufferingNewest(JobEventLog.capacity))
            lock.lock()
            let key = nextFollower
            nextFollower += 1
            followers[id, default: [:]][key] = Follower(continuation: continuation, lastID: lastID)
            lock.unlock()
            return .events(initial, stream, unsubscribe: { [weak self] in self?.unfollow(id, key) })
        }
    }

    private func unfollow(_ id: JobID, _ key: Int) {
        lock.lock(); defer { lock.unlock() }
        followers[id]?[key]?.continuation.finish()
        followers[id]?[key] = nil
        if followers[id]?.isEmpty == true { followers[id] = nil }
    }

    /// The job has new events (or was deleted): hands them to the streams following it.
    func deliverEvents(_ shared: any SharedJobStore, _ id: JobID) {
        lock.lock()
        let after = followers[id]?.values.map(\.lastID).min()
        lock.unlock()
        guard let after else { return }
        var events: [JobEvent]
        do {
            events = try shared.events(id, after: after)
            if events.isEmpty, try shared.find(id) == nil {
                events = [JobEvent(id: after + 1, name: "deleted", data: #"{"id":"\#(id)"}"#)]
            }
        } catch {
            logger.debug("job \(id): events not read: \(error)")
            return
        }
        lock.lock(); defer { lock.unlock() }
        guard var list = followers[id] else { return }
        for (key, var f) in list {
            for e in events where e.id > f.lastID {
                f.continuation.yield(e)
                f.lastID = e.id
                if e.name == "done" || e.name == "deleted" { f.continuation.finish() }
            }
            list[key] = f
        }
        let ended = events.contains { $0.name == "done" || $0.name == "deleted" }
        followers[id] = ended ? nil : list
    }

    // MARK: Workers' side

    /// Takes the next job from the store, waiting for a notification while there is none
    /// (or a quarter of a lease at most: a lease that expires sends none).
    func takeNextShared(_ shared: any SharedJobStore, stopping: () -> Bool) -> (JobRecord, CancellationFlag)? {
        var failures = 0
        while true {
            lock.lock()
            if stopping() || draining { lock.unlock(); return nil }
            lock.unlock()
            do {
                if let (record, takenOver) = try shared.claim(leaseSeconds: configuration.leaseSeconds),
                   let taken = start(shared, record, takenOver: takenOver) {
                    return taken
                }
                failures = 0
            } catch {
                if failures == 0 { logger.warning("no job can be taken now: \(error)") }
                failures += 1
            }
            lock.lock()
            if !(stopping() || draining) { _ = lock.wait(until: Date() + Double(max(1, configuration.leaseSeconds / 4))) }
            lock.unlock()
        }
    }

    /// Marks a claimed job running here, or fails it when too many of its runs were lost.
    private func start(_ shared: any SharedJobStore, _ claimed: JobRecord, takenOver: Bool) -> (JobRecord, CancellationFlag)? {
        var record = claimed
        if takenOver {
            let lost = (record.lostRuns ?? 0) + 1
            record.lostRuns = lost
            logger.warning("job \(record.id): its run was lost (its lease expired); taken over")
            if lost >= configuration.maxLostRuns {
                record.state = .failed
                record.finishedAt = Date()
                record.error = JobError(code: "run_lost", message: "the service running this job stopped during \(lost == 1 ? "its run" : "each of its \(lost) runs") (a crash or an out-of-memory kill?); it is not run again (max_lost_runs \(configuration.maxLostRuns))")
                do {
                    try shared.release(record, reason: "failed")
                    let json = render(snapshot(record, nil))
                    publishShared(shared, record.id, "state", json)
                    publishShared(shared, record.id, "done", json)
                    metrics.jobFinished(state: .failed, stopReason: nil, seconds: nil)
                } catch {
                    logger.error("job \(record.id): \(error)")
                }
                return nil
            }
            rewindToCheckpoint(&record)
        }
        record.state = .running
        record.startedAt = Date()
        record.attempts += 1
        record.progress = .init(iteration: record.checkpoint?.iteration ?? 0, total: record.parameters.iterations)
        let run = Running()
        lock.lock()
        records[record.id] = record
        running[record.id] = run
        publishStateLocked(record)
        lock.unlock()
        holdShared(shared, record.id)
        return (record, run.cancel)
    }

    /// Writes the record of a job run here and renews its lease; stops the fit when the
    /// job was canceled meanwhile or its lease went elsewhere.
    func holdShared(_ shared: any SharedJobStore, _ id: JobID) {
        lock.lock()
        guard let record = records[id], running[id]?.leaseLost == false else { lock.unlock(); return }
        lock.unlock()
        do {
            if try shared.hold(record, leaseSeconds: configuration.leaseSeconds) { cancelLocalRun(id) }
        } catch is LeaseLost {
            lock.lock()
            if running[id] != nil {
                running[id]?.leaseLost = true
                running[id]?.cancel.cancel()
                logger.warning("job \(id): its lease is no longer this service's; its fit stops here")
            }
            lock.unlock()
        } catch {
            logger.debug("job \(id): lease not renewed now: \(error)")
        }
    }

    private func beat(_ shared: any SharedJobStore) {
        lock.lock()
        let ids = Array(running.keys)
        lock.unlock()
        for id in ids { holdShared(shared, id) }
    }

    func finishShared(_ shared: any SharedJobStore, _ id: JobID, stop: StopReason?, result: JobRecord.ResultInfo?, error: JobError?) {
        lock.lock()
        let run = running.removeValue(forKey: id)
        guard var record = records.removeValue(forKey: id), run?.leaseLost != true else { lock.unlock(); return }
        lock.unlock()
        let reason: String
        if run?.interrupted == true {
            record.state = .queued
            rewindToCheckpoint(&record)
            reason = "drained"
        } else {
            conclude(&record, stop: stop, result: result, error: error)
            reason = record.state.rawValue
        }
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
        let json = render(snapshot(record, nil))
        publishShared(shared, id, "state", json)
        publishShared(shared, id, "done", json)
        let seconds = record.startedAt.map { record.finishedAt!.timeIntervalSince($0) }
        metrics.jobFinished(state: record.state, stopReason: record.stopReason, seconds: seconds)
        logger.info("job \(id) \(record.state.rawValue) after \(record.progress.iteration) iterations")
    }
}
