import DIPEngine
import DIPTasks
import Foundation
import Testing
@testable import JobService

/// The job's state machine alone: every state against every event, with no scheduler,
/// store, thread or clock.
@Suite("job lifecycle")
struct JobLifecycleTests {
    typealias Event = JobLifecycle.Event
    static let t0 = Date(timeIntervalSince1970: 1_000)

    static func record(_ state: JobState, checkpoint: Int? = nil, snapshots: [Int] = [], lostRuns: Int? = nil) -> JobRecord {
        var r = FileJobStoreTests.record(JobID.random(), sequence: 1)
        r.state = state
        r.parameters.iterations = 100
        r.checkpoint = checkpoint.map { .init(iteration: $0, savedAt: t0) }
        r.snapshots = snapshots.map { .init(iteration: $0, loss: 0.1, psnrInput: 20, etag: "\"\($0)\"") }
        r.lostRuns = lostRuns
        return r
    }

    static let events: [Event] = [
        .start(at: t0),
        .progress(.init(iteration: 5, total: 100)),
        .snapshot(.init(iteration: 5, loss: 0.1, psnrInput: 20, etag: "\"5\"")),
        .checkpoint(iteration: 5, at: t0),
        .checkpointUnusable,
        .finish(stop: .iterations, result: nil, at: t0),
        .fail(JobError(code: "x", message: "y"), at: t0),
        .interrupt,
        .lose(maxLostRuns: 3, at: t0),
        .cancel(at: t0),
    ]

    /// Which events each state takes; every other pair is refused.
    static let accepted: [JobState: Set<String>] = [
        .queued: ["start", "checkpoint-unusable", "cancel"],
        .running: ["progress", "snapshot", "checkpoint", "checkpoint-unusable", "finish", "fail", "interrupt", "lose", "cancel"],
        .succeeded: [], .failed: [], .canceled: [],
    ]

    @Test(arguments: JobState.allCases)
    func everyEventIsTakenOrRefusedLeavingTheRecordAsItWas(state: JobState) {
        for event in Self.events {
            var r = Self.record(state)
            let before = r
            do {
                let effects = try JobLifecycle.apply(event, to: &r)
                #expect(Self.accepted[state]!.contains(event.name), "\(state) took \(event.name)")
                #expect(!effects.isEmpty)
            } catch {
                #expect(!Self.accepted[state]!.contains(event.name), "\(state) refused \(event.name)")
                #expect(error == JobLifecycle.Refused(state: state, event: event.name))
                #expect(r == before)
            }
        }
    }

    @Test func startingCountsTheRunAndStartsAtTheCheckpoint() throws {
        var r = Self.record(.queued, checkpoint: 40)
        let effects = try JobLifecycle.apply(.start(at: Self.t0), to: &r)
        #expect(r.state == .running && r.attempts == 1 && r.startedAt == Self.t0)
        #expect(r.progress.iteration == 40 && r.progress.total == 100)
        #expect(effects == [.dequeue, .save, .publishState, .notify(.started)])
    }

    @Test func finishingEndsTheRunAndDropsTheCheckpoint() throws {
        var r = Self.record(.running, checkpoint: 40)
        let result = JobRecord.ResultInfo(iterations: 100, etag: "\"r\"", width: 4, height: 4)
        let effects = try JobLifecycle.apply(.finish(stop: .autoStop, result: result, at: Self.t0), to: &r)
        #expect(r.state == .succeeded && r.stopReason == "auto_stop" && r.result == result && r.finishedAt == Self.t0)
        #expect(r.checkpoint == nil)
        #expect(effects == [.removeCheckpoints(keeping: nil), .save, .publishState, .countFinished, .notify(.completed)])

        var c = Self.record(.running)
        _ = try JobLifecycle.apply(.finish(stop: .canceled, result: nil, at: Self.t0), to: &c)
        #expect(c.state == .canceled && c.stopReason == "canceled")
    }

    @Test func failingKeepsTheError() throws {
        var r = Self.record(.running)
        let effects = try JobLifecycle.apply(.fail(JobError(code: "fit_failed", message: "m"), at: Self.t0), to: &r)
        #expect(r.state == .failed && r.error?.code == "fit_failed" && r.finishedAt == Self.t0)
        #expect(effects == [.removeCheckpoints(keeping: nil), .save, .publishState, .countFinished, .notify(.completed)])
    }

    @Test func anInterruptedRunGoesBackFirstRewoundToItsCheckpoint() throws {
        var r = Self.record(.running, checkpoint: 15, snapshots: [10, 20])
        let effects = try JobLifecycle.apply(.interrupt, to: &r)
        #expect(r.state == .queued && r.progress.iteration == 15 && r.snapshots.map(\.iteration) == [10])
        #expect(r.lostRuns == nil && r.checkpoint?.iteration == 15)
        #expect(effects == [.clearSnapshots(after: 15), .enqueue(front: true), .save])
    }

    @Test func aLostRunIsCountedAndTheLastOneAllowedFails() throws {
        var r = Self.record(.running, snapshots: [10])
        var effects = try JobLifecycle.apply(.lose(maxLostRuns: 2, at: Self.t0), to: &r)
        #expect(r.state == .queued && r.lostRuns == 1 && r.snapshots.isEmpty && r.progress.iteration == 0)
        #expect(effects == [.clearSnapshots(after: 0), .enqueue(front: true), .save])
        r.state = .running
        effects = try JobLifecycle.apply(.lose(maxLostRuns: 2, at: Self.t0), to: &r)
        #expect(r.state == .failed && r.lostRuns == 2 && r.error?.code == "run_lost" && r.finishedAt == Self.t0)
        #expect(r.error?.message.contains("each of this job's 2 runs") == true)
        #expect(effects == [.removeCheckpoints(keeping: nil), .save, .publishState, .countFinished, .notify(.completed)])
    }

    @Test func cancelEndsAQueuedJobAndOnlyAsksARunningOne() throws {
        var q = Self.record(.queued, checkpoint: 30)
        #expect(try JobLifecycle.apply(.cancel(at: Self.t0), to: &q)
                == [.dequeue, .removeCheckpoints(keeping: nil), .save, .publishState, .countFinished, .notify(.completed)])
        #expect(q.state == .canceled && q.stopReason == "canceled" && q.finishedAt == Self.t0 && q.checkpoint == nil)
        var r = Self.record(.running)
        let before = r
        #expect(try JobLifecycle.apply(.cancel(at: Self.t0), to: &r) == [.stopRun])
        #expect(r == before)
    }

    @Test func progressSnapshotsAndCheckpointsAreKeptOnTheRecord() throws {
        var r = Self.record(.running, snapshots: [5])
        #expect(try JobLifecycle.apply(.progress(.init(iteration: 7, total: 100, loss: 0.2)), to: &r) == [.publishProgress])
        #expect(r.progress.iteration == 7 && r.progress.loss == 0.2)
        let info = JobRecord.SnapshotInfo(iteration: 10, loss: 0.1, psnrInput: 21, etag: "\"10\"")
        #expect(try JobLifecycle.apply(.snapshot(info), to: &r) == [.save, .publishSnapshot(info), .notify(.snapshot)])
        #expect(r.snapshots.map(\.iteration) == [5, 10])
        #expect(try JobLifecycle.apply(.checkpoint(iteration: 10, at: Self.t0), to: &r) == [.save, .removeCheckpoints(keeping: 10)])
        #expect(r.checkpoint == .init(iteration: 10, savedAt: Self.t0))
        #expect(try JobLifecycle.apply(.checkpointUnusable, to: &r) == [.removeCheckpoints(keeping: nil), .clearSnapshots(after: 0), .save])
        #expect(r.checkpoint == nil && r.snapshots.isEmpty && r.progress.iteration == 0)
    }
}
