import DIPEngine
import Foundation
import Logging
import Testing
@testable import JobService

/// The job state machine (queued → running → succeeded / failed / canceled, runs lost
/// and resumed, drains, retention, idempotency keys, cancel and delete races) on an
/// in-memory store: no files, no fits.
@Suite("job state machine")
struct JobStateTests {
    static func manager(_ store: InMemoryJobStore, _ tune: (inout ServiceConfiguration) -> Void = { _ in }) -> LocalScheduler {
        var c = ServiceConfiguration()
        tune(&c)
        let m = LocalScheduler(store: store, configuration: c, metrics: ServiceMetrics(), logger: Logger(label: "test"))
        m.start()
        return m
    }

    static func submit(_ m: LocalScheduler, key: String? = nil) throws -> JobID {
        switch try m.submit(idempotencyKey: key, inputs: [("image.png", [1, 2, 3])], make: { id, sequence in
            var r = FileJobStoreTests.record(id, sequence: sequence)
            r.idempotencyKey = key
            return r
        }) {
        case let .created(r): return r.id
        case let .existing(r): return r.id
        }
    }

    static func take(_ m: LocalScheduler) throws -> (JobRecord, CancellationFlag) {
        try #require(m.takeNext(stopping: { false }))
    }

    static func snapshot(_ m: LocalScheduler, _ id: JobID, _ iteration: Int) throws {
        try m.store.writeSnapshot(id, iteration: iteration, png: [UInt8(iteration)])
        m.addSnapshot(id, .init(iteration: iteration, loss: 0.1, psnrInput: 20, etag: "\"\(iteration)\""))
    }

    @Test func aJobRunsToItsResultFirstInFirstOut() throws {
        let store = InMemoryJobStore()
        let m = Self.manager(store)
        let a = try Self.submit(m), b = try Self.submit(m)
        #expect(try m.job(a)?.queuePosition == 1 && m.job(b)?.queuePosition == 2)
        let (first, _) = try Self.take(m)
        #expect(first.id == a && first.state == .running && first.attempts == 1)
        #expect(try m.job(b)?.queuePosition == 1 && m.job(a)?.queuePosition == nil)
        m.reportProgress(a, .init(iteration: 5, total: 10, iterationsPerSecond: 3, loss: 0.1, psnrInput: 20, seconds: 2))
        try Self.snapshot(m, a, 5)
        try store.writeResult(a, png: [7])
        m.finish(a, .finished(.iterations, .init(iterations: 10, etag: "\"r\"", width: 4, height: 4)))
        let done = try #require(store.record(a))      // what a restart would read
        #expect(done.state == .succeeded && done.stopReason == "iterations" && done.finishedAt != nil)
        #expect(done.snapshots.map(\.iteration) == [5] && done.result?.iterations == 10)
        #expect(try Self.take(m).0.id == b)
    }

    @Test func cancelAQueuedJobAtOnceAndARunningOneThroughItsFlag() async throws {
        let m = Self.manager(InMemoryJobStore())
        let running = try Self.submit(m), queued = try Self.submit(m)
        let (_, flag) = try Self.take(m)
        let canceled = try await m.cancel(queued, wait: .zero)
        #expect(canceled?.record.state == .canceled && canceled?.record.stopReason == "canceled")
        _ = try await m.cancel(running, wait: .zero)
        #expect(try flag.isCancelled && m.job(running)?.record.state == .running)
        m.finish(running, .finished(.canceled, nil))
        #expect(try m.job(running)?.record.state == .canceled)
        #expect(try await m.cancel(JobID.random()) == nil)
    }

    @Test func deletingARunningJobStopsItAndItsEndChangesNothing() throws {
        let store = InMemoryJobStore()
        let m = Self.manager(store)
        let id = try Self.submit(m, key: "k1")
        let (_, flag) = try Self.take(m)
        #expect(try m.delete(id))
        #expect(try flag.isCancelled && m.job(id) == nil && store.record(id) == nil)
        // The worker finishes after the delete: the job does not come back.
        m.finish(id, .finished(.canceled, nil))
        m.noteCheckpoint(id, iteration: 3)
        #expect(try m.job(id) == nil && store.record(id) == nil && !m.delete(id))
        // The key is free again.
        #expect(try Self.submit(m, key: "k1") != id)
    }

    @Test func anIdempotencyKeyGivesTheSameJob() throws {
        let m = Self.manager(InMemoryJobStore())
        let a = try Self.submit(m, key: "same"), b = try Self.submit(m, key: "same"), c = try Self.submit(m, key: "other")
        #expect(a == b && a != c)
        #expect(try m.list(state: nil, limit: 10, after: nil).jobs.count == 2)
    }

    @Test func aFullQueueADrainAndAFailingStoreRefuseNewJobs() throws {
        let store = InMemoryJobStore()
        let m = Self.manager(store) { $0.queueCapacity = 1 }
        _ = try Self.submit(m)
        #expect(throws: JobRejection.queueFull) { _ = try Self.submit(m) }
        let n = Self.manager(InMemoryJobStore())
        n.beginDraining()
        #expect(throws: JobRejection.draining) { _ = try Self.submit(n) }
        let failing = InMemoryJobStore()
        let f = Self.manager(failing)
        failing.failWrites = true
        #expect(throws: InMemoryJobStore.Failure.self) { _ = try Self.submit(f, key: "k") }
        #expect(try f.list(state: nil, limit: 10, after: nil).jobs.isEmpty)
        failing.failWrites = false
        #expect(try f.existing(idempotencyKey: "k") == nil)
        _ = try Self.submit(f, key: "k")
    }

    @Test func aLostRunGoesOnFromItsCheckpointOrFromTheStart() throws {
        let store = InMemoryJobStore()
        let m = Self.manager(store)
        let withCheckpoint = try Self.submit(m), without = try Self.submit(m)
        _ = try Self.take(m)
        for i in [20, 40, 60] { try Self.snapshot(m, withCheckpoint, i) }
        try store.writeCheckpoint(withCheckpoint, iteration: 40, [1])
        m.noteCheckpoint(withCheckpoint, iteration: 40)
        m.reportProgress(withCheckpoint, .init(iteration: 65, total: 100, iterationsPerSecond: 3, loss: 0.1, psnrInput: 20, seconds: 2))
        _ = try Self.take(m)
        try Self.snapshot(m, without, 20)
        // The process dies here: a new manager reads the store.
        let after = Self.manager(store)
        let a = try #require(try after.job(withCheckpoint)?.record), b = try #require(try after.job(without)?.record)
        #expect(a.state == .queued && a.progress.iteration == 40 && a.snapshots.map(\.iteration) == [20, 40])
        #expect(store.snapshotIterations(withCheckpoint) == [20, 40] && a.lostRuns == 1)
        #expect(b.state == .queued && b.progress.iteration == 0 && b.snapshots.isEmpty && store.snapshotIterations(without).isEmpty)
        let (again, _) = try Self.take(after)
        #expect(again.id == withCheckpoint && again.attempts == 2 && again.progress.iteration == 40)
        after.finish(withCheckpoint, .finished(.iterations, .init(iterations: 100, etag: "\"r\"", width: 4, height: 4)))
        #expect(store.checkpointIterations(withCheckpoint).isEmpty && store.record(withCheckpoint)?.checkpoint == nil)
    }

    @Test func aJobLostMaxLostRunsTimesFails() throws {
        let store = InMemoryJobStore()
        var m = Self.manager(store) { $0.maxLostRuns = 2 }
        let id = try Self.submit(m)
        for run in 1...2 {
            _ = try Self.take(m)
            m = Self.manager(store) { $0.maxLostRuns = 2 }
            let r = try #require(try m.job(id)?.record)
            #expect(run == 1 ? r.state == .queued : r.state == .failed && r.error?.code == "run_lost")
        }
    }

    @Test func aDrainPutsTheRunningJobBackFirstAtItsCheckpoint() throws {
        let store = InMemoryJobStore()
        let m = Self.manager(store)
        let id = try Self.submit(m), next = try Self.submit(m)
        let (_, flag) = try Self.take(m)
        try Self.snapshot(m, id, 10)
        try Self.snapshot(m, id, 20)
        m.beginDraining()
        #expect(flag.isCancelled && m.isInterrupted(id))
        try store.writeCheckpoint(id, iteration: 15, [1])
        m.noteCheckpoint(id, iteration: 15)
        m.finish(id, .finished(.canceled, nil))
        let r = try #require(store.record(id))
        #expect(r.state == .queued && r.progress.iteration == 15 && r.snapshots.map(\.iteration) == [10])
        #expect(try m.job(id)?.queuePosition == 1 && m.job(next)?.queuePosition == 2)
        #expect(store.readCheckpoint(id, iteration: 15) != nil)
    }

    @Test func finishedJobsExpireAndOthersStay() throws {
        let m = Self.manager(InMemoryJobStore()) { $0.retentionSeconds = 60 }
        let done = try Self.submit(m), waiting = try Self.submit(m)
        _ = try Self.take(m)
        m.finish(done, .failed(JobError(code: "x", message: "y")))
        #expect(try m.job(done)?.record.state == .failed)
        #expect(m.sweepExpired(now: Date().addingTimeInterval(30)) == 0)
        #expect(m.sweepExpired(now: Date().addingTimeInterval(61)) == 1)
        #expect(try m.job(done) == nil && m.job(waiting) != nil)
    }

    /// The process dies after a checkpoint's file is written but before the record names it:
    /// the restart goes on from the checkpoint the record names, whose file is still there,
    /// and keeps exactly the snapshots up to it.
    @Test func aCrashBetweenTheCheckpointsFileAndTheRecordResumesWhereTheRecordSays() throws {
        let store = InMemoryJobStore()
        let m = Self.manager(store)
        let id = try Self.submit(m)
        _ = try Self.take(m)
        for i in [10, 20] { try Self.snapshot(m, id, i) }
        try store.writeCheckpoint(id, iteration: 20, [20])
        m.noteCheckpoint(id, iteration: 20)
        try Self.snapshot(m, id, 30)
        try store.writeCheckpoint(id, iteration: 40, [40])     // the process dies here
        let after = Self.manager(store)
        let r = try #require(try after.job(id)?.record)
        #expect(r.checkpoint?.iteration == 20 && r.progress.iteration == 20 && r.snapshots.map(\.iteration) == [10, 20])
        #expect(store.readCheckpoint(id, iteration: 20) == [20] && store.snapshotIterations(id) == [10, 20])
        // Once the record names a newer checkpoint, the older files go, the one left unnamed too.
        _ = try Self.take(after)
        try store.writeCheckpoint(id, iteration: 60, [60])
        after.noteCheckpoint(id, iteration: 60)
        #expect(store.checkpointIterations(id) == [60])
        after.finish(id, .finished(.iterations, nil))
        #expect(store.checkpointIterations(id).isEmpty)
    }
}
