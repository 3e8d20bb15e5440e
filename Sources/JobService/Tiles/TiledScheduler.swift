import DIPEngine
import Foundation
import Logging
import Synchronization

/// Tiled jobs over either scheduler, as middleware: requests about a tiled job reach its
/// tile jobs (cancel, delete), its view is made from theirs, and when a tile job ends the
/// tiled job is settled — failed when a tile failed, blended into its result when every
/// tile has ended. Tile jobs are the inner scheduler's ordinary jobs (queued, leased,
/// checkpointed, resumed, taken over) but are never shown: the API knows only the tiled job.
/// Settling is idempotent and fenced by the store (`settle`), so any service may do it: the
/// one that ended the last tile, and every service at start and at each retention sweep
/// (a service that died between the last tile and the blend leaves that to the others).
final class TiledScheduler: JobScheduler {
    let inner: any JobScheduler
    private let assembler: TileAssembler
    /// The tiled jobs of the tile jobs run here, and when each tiled job's progress was last published.
    private let running = Mutex<(parents: [JobID: JobID], published: [JobID: ContinuousClock.Instant])>(([:], [:]))

    init(_ inner: any JobScheduler, assembler: TileAssembler) {
        self.inner = inner
        self.assembler = assembler
    }

    var store: any JobStore { inner.store }
    var configuration: ServiceConfiguration { inner.configuration }
    var metrics: ServiceMetrics { inner.metrics }
    var logger: Logger { inner.logger }
    var timing: SchedulerTiming { inner.timing }

    func start() {
        inner.start()
        settleAll()
    }

    func stop() { inner.stop() }

    // MARK: Requests

    func existing(idempotencyKey key: String) throws -> JobRecord? { try inner.existing(idempotencyKey: key) }
    func admissionCheck() throws(JobRejection) { try inner.admissionCheck() }

    func submit(idempotencyKey: String?, inputs: [(file: String, bytes: [UInt8])],
                make: (JobID, UInt64) -> JobRecord) throws -> SubmitOutcome {
        try inner.submit(idempotencyKey: idempotencyKey, inputs: inputs, make: make)
    }

    func submitTiled(idempotencyKey: String?, parent: JobRecord, inputs: [(file: String, bytes: [UInt8])],
                     tiles: [TileSubmission]) throws -> SubmitOutcome {
        let outcome = try inner.submitTiled(idempotencyKey: idempotencyKey, parent: parent, inputs: inputs, tiles: tiles)
        // Every tile copied (an inpainting mask without a hole): nothing to wait for.
        if case .created(let r) = outcome, tiles.isEmpty { settleTiles(of: r.id) }
        return outcome
    }

    func job(_ id: JobID) throws -> JobSnapshot? {
        guard let s = try inner.job(id), !s.record.isTile else { return nil }
        return try withTiles(s)
    }

    func list(state: JobState?, limit: Int, after: UInt64?) throws -> (jobs: [JobSnapshot], more: Bool) {
        let page = try inner.list(state: state, limit: limit, after: after)
        return (try page.jobs.map(withTiles), page.more)
    }

    /// A tiled job's snapshot with its tiles: their states, and its progress made of theirs.
    private func withTiles(_ snapshot: JobSnapshot) throws -> JobSnapshot {
        guard snapshot.record.isTiled else { return snapshot }
        var s = snapshot
        let tiles = TileProgress(s.record, tileJobs: try inner.tiles(of: s.record))
        s.tiles = tiles
        s.record.progress = tiles.progress
        if s.record.state != .running { s.record.progress.iterationsPerSecond = nil }
        s.iterationsPerSecond = s.record.progress.iterationsPerSecond
        // The revision views are cached by moves with any job's change, its tiles' too.
        return s
    }

    func requestCancel(_ id: JobID) throws -> Bool? {
        guard let s = try inner.job(id), !s.record.isTile else { return nil }
        guard let tiling = s.record.tiling else { return try inner.requestCancel(id) }
        guard s.record.state == .running else { return false }
        var asked = false
        for case let tile? in tiling.jobs where try inner.requestCancel(tile) == true { asked = true }
        // Queued tiles ended at once; running ones end within an iteration and settle it then.
        settleTiles(of: id)
        return asked
    }

    func delete(_ id: JobID) throws -> Bool {
        guard let s = try inner.job(id), !s.record.isTile else { return false }
        for case let tile? in s.record.tiling?.jobs ?? [] { _ = try inner.delete(tile) }
        return try inner.delete(id)
    }

    func subscribe(_ id: JobID, lastEventID: Int?) throws -> JobSubscription? {
        guard let s = try inner.job(id), !s.record.isTile else { return nil }
        guard var subscription = try inner.subscribe(id, lastEventID: lastEventID) else { return nil }
        guard s.record.isTiled else { return subscription }
        // The inner scheduler's snapshots know nothing of tiles: each is shown with them.
        let complete: @Sendable (JobEvent) -> JobEvent = { [weak self] event in
            guard let self else { return event }
            var e = event
            switch event.payload {
            case .status(let s): e.payload = .status((try? self.withTiles(s)) ?? s)
            case .state(let s): e.payload = .state((try? self.withTiles(s)) ?? s)
            case .done(let s): e.payload = .done((try? self.withTiles(s)) ?? s)
            default: break
            }
            return e
        }
        subscription.initial = subscription.initial.map(complete)
        if let live = subscription.live {
            subscription.live = AsyncStream { continuation in
                let task = Task {
                    for await event in live { continuation.yield(complete(event)) }
                    continuation.finish()
                }
                continuation.onTermination = { _ in task.cancel() }
            }
        }
        return subscription
    }

    func counts() -> JobCounts { inner.counts() }

    func sweep(finishedBefore date: Date) -> Int {
        settleAll()
        return inner.sweep(finishedBefore: date)
    }

    func beginDraining() { inner.beginDraining() }

    // MARK: Workers

    func takeNext(stopping: @escaping () -> Bool) -> (JobRecord, CancellationFlag)? {
        guard let taken = inner.takeNext(stopping: stopping) else { return nil }
        if let tile = taken.0.tileOf { running.withLock { $0.parents[taken.0.id] = tile.parent } }
        return taken
    }

    func wakeWorkers() { inner.wakeWorkers() }

    func reportProgress(_ id: JobID, _ progress: JobRecord.ProgressInfo) {
        inner.reportProgress(id, progress)
        let now = ContinuousClock.now
        let due: JobID? = running.withLock { r in
            guard let parent = r.parents[id] else { return nil }
            if let last = r.published[parent], now - last < timing.progressEvents { return nil }
            r.published[parent] = now
            return parent
        }
        guard let parent = due, let s = try? job(parent), s.record.state == .running else { return }
        inner.publish(parent, .progress(s.record.progress))
    }

    func addSnapshot(_ id: JobID, _ info: JobRecord.SnapshotInfo) { inner.addSnapshot(id, info) }
    func noteCheckpoint(_ id: JobID, iteration: Int) { inner.noteCheckpoint(id, iteration: iteration) }
    func dropCheckpoint(_ id: JobID) { inner.dropCheckpoint(id) }

    func finish(_ id: JobID, _ outcome: RunOutcome) {
        inner.finish(id, outcome)
        guard let parent = running.withLock({ $0.parents.removeValue(forKey: id) }) else { return }
        settleTiles(of: parent)
    }

    func isInterrupted(_ id: JobID) -> Bool { inner.isInterrupted(id) }
    func isCurrent(_ id: JobID) -> Bool { inner.isCurrent(id) }

    // MARK: Tiled jobs

    func tiles(of parent: JobRecord) throws -> [JobRecord] { try inner.tiles(of: parent) }
    func settle(_ id: JobID, _ event: JobLifecycle.Event) throws -> JobRecord? { try inner.settle(id, event) }
    func publish(_ id: JobID, _ payload: JobEvent.Payload) { inner.publish(id, payload) }

    /// Settles every running tiled job (at start, and with each retention sweep).
    private func settleAll() {
        var after: UInt64?
        do {
            while true {
                let page = try inner.list(state: .running, limit: 200, after: after)
                for s in page.jobs where s.record.isTiled { settleTiles(of: s.record.id) }
                guard page.more, let last = page.jobs.last else { break }
                after = last.record.sequence
            }
        } catch {
            logger.warning("tiled jobs not settled now: \(error)")
        }
    }

    /// Moves a running tiled job on from its tiles' states: it fails when a tile failed or is
    /// missing (the other tiles are canceled); once every tile has ended, the tiles' results are
    /// blended into its result and it ends — canceled when a tile was, else succeeded.
    /// Otherwise its followers are shown the tiles as they are.
    func settleTiles(of id: JobID) {
        do {
            guard let s = try inner.job(id), s.record.state == .running, s.record.isTiled else { return }
            let record = s.record
            let tileJobs = try inner.tiles(of: record)
            let tiles = TileProgress(record, tileJobs: tileJobs)
            if let bad = tiles.tiles.first(where: { $0.state == .failed || $0.state == .missing }) {
                let cause = tileJobs.first { $0.tileOf?.index == bad.index }?.error
                for case let tile? in record.tiling!.jobs { _ = try? inner.requestCancel(tile) }
                let error = JobError(code: cause?.code ?? "tile_lost",
                                     message: "tile \(bad.index) (at \(bad.x),\(bad.y)): \(cause?.message ?? "its job is gone")")
                if try inner.settle(id, .fail(error, at: Date())) != nil {
                    logger.warning("tiled job \(id) failed: \(error.message)")
                }
                return
            }
            guard tiles.allEnded else {
                if let now = try withTilesIfRunning(s) { inner.publish(id, .state(now)) }
                return
            }
            let result = try assembler.assemble(record, tileJobs: tileJobs)
            let stop = StopReason(rawValue: tiles.stopReason) ?? .iterations
            if try inner.settle(id, .finish(stop: stop, result: result, at: Date())) != nil {
                logger.info("tiled job \(id) \(stop == .canceled ? "canceled" : "succeeded"): \(tiles.fitted.count) tiles fitted, \(tiles.count(.copied)) copied")
            }
        } catch let e where e is JobStoreUnavailable {
            logger.warning("tiled job \(id) not settled now (\(e)); the next sweep will")
        } catch {
            logger.error("tiled job \(id): its tiles could not be blended: \(error)")
            _ = try? inner.settle(id, .fail(JobError(code: "blend_failed", message: "the tiles' results could not be blended: \(error)"), at: Date()))
        }
    }

    private func withTilesIfRunning(_ s: JobSnapshot) throws -> JobSnapshot? {
        s.record.state == .running ? try withTiles(s) : nil
    }
}
