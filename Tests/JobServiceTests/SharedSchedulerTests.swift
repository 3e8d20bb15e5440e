import DIPEngine
import Foundation
import Logging
import Testing
@testable import JobService

/// The shared scheduler's logic on the in-memory shared store: services that share one
/// queue, a lease that expires, a holder that is fenced off, runs lost and counted, and
/// a cancel that reaches the service running the job. The database's clock is moved by
/// hand and leases are renewed only when a test says so.
@Suite("shared scheduler")
struct SharedSchedulerTests {
    static func service(_ db: InMemorySharedJobStore.Database, _ owner: String,
                        _ tune: (inout ServiceConfiguration) -> Void = { _ in }) -> SharedScheduler {
        var c = ServiceConfiguration()
        c.leaseSeconds = 30
        tune(&c)
        var timing = SchedulerTiming(c, shared: true)
        timing.leaseRenewal = .seconds(3600)     // renewed by the tests' own calls only
        let s = SharedScheduler(store: InMemorySharedJobStore(database: db, owner: owner), configuration: c,
                                metrics: ServiceMetrics(), logger: Logger(label: "test"), timing: timing)
        s.start()
        return s
    }

    static func submit(_ s: SharedScheduler) throws -> JobID {
        guard case let .created(r) = try s.submit(idempotencyKey: nil, inputs: [("image.png", [1])], make: { id, sequence in
            var r = FileJobStoreTests.record(id, sequence: sequence)
            r.parameters.iterations = 100
            return r
        }) else { throw JobStoreUnavailable(description: "not created") }
        return r.id
    }

    static func take(_ s: SharedScheduler) throws -> (JobRecord, CancellationFlag) {
        try #require(s.takeNext(stopping: { false }))
    }

    static func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<200 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test func aJobIsTakenOnceAndRunsToItsResultOnAnotherServiceThanItsSubmitter() throws {
        let db = InMemorySharedJobStore.Database()
        let a = Self.service(db, "a"), b = Self.service(db, "b")
        defer { a.stop(); b.stop() }
        let id = try Self.submit(a)
        #expect(try b.job(id)?.queuePosition == 1)
        let (record, _) = try Self.take(b)
        #expect(record.id == id && record.state == .running && record.attempts == 1)
        #expect(try a.job(id)?.record.state == .running)
        b.reportProgress(id, .init(iteration: 50, total: 100, iterationsPerSecond: 4))
        b.finish(id, .finished(.iterations, .init(iterations: 100, etag: "\"r\"", width: 4, height: 4)))
        let done = try #require(try a.job(id)?.record)
        #expect(done.state == .succeeded && done.result?.iterations == 100 && done.progress.iteration == 50)
        #expect(db.leases.count == 1 && db.leases[0].owner == "b" && db.leases[0].ended != nil)
    }

    @Test func anExpiredLeaseIsTakenOverFromItsCheckpointAndTheOldHolderIsFencedOff() throws {
        let db = InMemorySharedJobStore.Database()
        let a = Self.service(db, "a"), b = Self.service(db, "b")
        defer { a.stop(); b.stop() }
        let id = try Self.submit(a)
        let (_, flagA) = try Self.take(a)
        for i in [10, 20, 30] {
            try a.store.writeSnapshot(id, iteration: i, png: [UInt8(i)])
            a.addSnapshot(id, .init(iteration: i, loss: 0.1, psnrInput: 20, etag: "\"\(i)\""))
        }
        try a.store.writeCheckpoint(id, iteration: 20, [1])
        a.noteCheckpoint(id, iteration: 20)
        // Service a stops renewing (it hangs, or lost the database): nothing is taken before the lease ends.
        db.advance(by: 29)
        let shared = InMemorySharedJobStore(database: db, owner: "probe")
        #expect(try shared.claim(leaseSeconds: 30) == nil)
        db.advance(by: 2)
        let (taken, _) = try Self.take(b)
        #expect(taken.id == id && taken.attempts == 2 && taken.lostRuns == 1)
        #expect(taken.progress.iteration == 20 && taken.snapshots.map(\.iteration) == [10, 20] && taken.checkpoint?.iteration == 20)
        #expect(db.files.snapshotIterations(id) == [10, 20])
        // a's next write is fenced: its fit stops, and nothing it reports reaches the store.
        a.addSnapshot(id, .init(iteration: 40, loss: 0.1, psnrInput: 20, etag: "\"40\""))
        #expect(flagA.isCancelled && !a.isCurrent(id))
        a.finish(id, .finished(.iterations, .init(iterations: 100, etag: "\"a\"", width: 4, height: 4)))
        let stored = try #require(try b.job(id)?.record)
        #expect(stored.state == .running && stored.result == nil && stored.snapshots.map(\.iteration) == [10, 20])
        // Two leases, one after the other: never two at once.
        #expect(db.leases.map(\.owner) == ["a", "b"] && db.leases[0].ended! <= db.leases[1].started)
        b.finish(id, .finished(.iterations, .init(iterations: 100, etag: "\"b\"", width: 4, height: 4)))
        #expect(try a.job(id)?.record.result?.etag == "\"b\"")
    }

    @Test func theLossThatReachesTheLimitFailsTheJob() throws {
        let db = InMemorySharedJobStore.Database()
        let a = Self.service(db, "a") { $0.maxLostRuns = 2 }, b = Self.service(db, "b") { $0.maxLostRuns = 2 }
        defer { a.stop(); b.stop() }
        let id = try Self.submit(a)
        _ = try Self.take(a)
        db.advance(by: 31)
        _ = try Self.take(b)
        db.advance(by: 31)
        let next = try Self.submit(a)
        // a takes over the job lost twice: it fails it, then goes on to the next job.
        let (taken, _) = try Self.take(a)
        #expect(taken.id == next)
        let failed = try #require(try a.job(id)?.record)
        #expect(failed.state == .failed && failed.error?.code == "run_lost" && failed.lostRuns == 2)
        #expect(db.leases.filter { $0.job == id }.allSatisfy { $0.ended != nil })
    }

    @Test func aCancelReachesTheServiceRunningTheJob() async throws {
        let db = InMemorySharedJobStore.Database()
        let a = Self.service(db, "a"), b = Self.service(db, "b")
        defer { a.stop(); b.stop() }
        let running = try Self.submit(a), queued = try Self.submit(a)
        let (_, flag) = try Self.take(a)
        // Canceled through b: a queued job at once, the running one on a.
        #expect(try b.requestCancel(queued) == false)
        #expect(try a.job(queued)?.record.state == .canceled)
        #expect(try b.requestCancel(running) == true)
        #expect(await Self.eventually { flag.isCancelled })
        a.finish(running, .finished(.canceled, nil))
        #expect(try b.job(running)?.record.state == .canceled)
        #expect(try b.requestCancel(JobID.random()) == nil)
    }

    @Test func aCancelMissedByTheListenerArrivesWithTheNextRenewal() throws {
        let db = InMemorySharedJobStore.Database()
        let a = Self.service(db, "a")
        defer { a.stop() }
        let id = try Self.submit(a)
        let (_, flag) = try Self.take(a)
        a.stop()   // no more notifications
        let other = InMemorySharedJobStore(database: db, owner: "b")
        #expect(try other.requestCancel(id))
        #expect(!flag.isCancelled)
        a.noteCheckpoint(id, iteration: 5)   // writes the record and renews the lease
        #expect(flag.isCancelled)
    }

    @Test func eventsAreReadBackTypedByEveryService() async throws {
        let db = InMemorySharedJobStore.Database()
        let a = Self.service(db, "a"), b = Self.service(db, "b")
        defer { a.stop(); b.stop() }
        let id = try Self.submit(a)
        let sub = try #require(try b.subscribe(id, lastEventID: nil))
        #expect(sub.initial.map(\.kind) == [.status])
        _ = try Self.take(a)
        a.addSnapshot(id, .init(iteration: 10, loss: 0.1, psnrInput: 20, etag: "\"10\""))
        a.finish(id, .finished(.iterations, nil))
        var kinds: [JobEventKind] = []
        for await e in try #require(sub.live) { kinds.append(e.kind) }
        #expect(kinds == [.state, .snapshot, .state, .done])
        let replay = try #require(try a.subscribe(id, lastEventID: 0))
        #expect(replay.initial.map(\.kind) == [.state, .snapshot, .state, .done] && replay.live == nil)
        if case .snapshot(let info) = replay.initial[1].payload { #expect(info.iteration == 10) } else { Issue.record("not a snapshot") }
    }

    /// A service dies after writing a checkpoint's file and before its record named it: the
    /// service that takes the job over resumes from the checkpoint the record names.
    @Test func aTakeoverResumesFromTheCheckpointTheRecordNames() throws {
        let db = InMemorySharedJobStore.Database()
        let a = Self.service(db, "a"), b = Self.service(db, "b")
        defer { a.stop(); b.stop() }
        let id = try Self.submit(a)
        _ = try Self.take(a)
        try a.store.writeCheckpoint(id, iteration: 20, [20])
        a.noteCheckpoint(id, iteration: 20)
        a.addSnapshot(id, .init(iteration: 30, loss: 0.1, psnrInput: 20, etag: "\"30\""))
        try a.store.writeCheckpoint(id, iteration: 40, [40])   // a dies here
        db.advance(by: 31)
        let (taken, _) = try Self.take(b)
        #expect(taken.checkpoint?.iteration == 20 && taken.progress.iteration == 20 && taken.snapshots.isEmpty)
        #expect(b.store.readCheckpoint(id, iteration: 20) == [20])
        try b.store.writeCheckpoint(id, iteration: 50, [50])
        b.noteCheckpoint(id, iteration: 50)
        #expect(db.files.checkpointIterations(id) == [50])
    }
}
