import DIPEngine
import DIPTasks
import Foundation

/// A job's life as a value: every change to a job's state is an `Event` applied to its
/// record, which either moves the record on and returns the `Effect`s that must follow
/// (save it, tell its followers, stop its fit, ...), or is refused and leaves the record
/// as it was. No threads, no I/O, no clock: the schedulers carry the effects out.
///
///     queued ──start──▶ running ──finish──▶ succeeded | canceled
///       │  ▲              │ │ └──fail──────▶ failed
///       │  └─interrupt────┘ └──lose (max_lost_runs reached)──▶ failed
///       │  └─lose (run lost: crash, expired lease)─┘
///       └──cancel──▶ canceled
enum JobLifecycle {
    enum Event: Equatable, Sendable {
        /// A worker takes the job (`attempts` counts runs).
        case start(at: Date)
        /// The running fit reached an iteration.
        case progress(JobRecord.ProgressInfo)
        /// The running fit stored a snapshot.
        case snapshot(JobRecord.SnapshotInfo)
        /// The running fit's state was saved at an iteration.
        case checkpoint(iteration: Int, at: Date)
        /// The job's checkpoint cannot be used: the next run starts from iteration 0.
        case checkpointUnusable
        /// The fit ended: succeeded, or canceled with what it reached (`stop == .canceled`).
        case finish(stop: StopReason, result: JobRecord.ResultInfo?, at: Date)
        /// The run failed.
        case fail(JobError, at: Date)
        /// A shutdown stopped the run: the job goes back to the front of the queue, from its checkpoint.
        case interrupt
        /// The run was lost (the process died, or its lease expired): queued again from its
        /// checkpoint, or failed once `maxLostRuns` runs were lost.
        case lose(maxLostRuns: Int, at: Date)
        /// A user cancels: a queued job ends at once, a running one is asked to stop.
        case cancel(at: Date)
    }

    enum Effect: Equatable, Sendable {
        /// Write the record through to the store.
        case save
        /// Tell the job's followers its state changed (`done` too when it finished).
        case publishState
        /// Tell the job's followers of its progress / new snapshot.
        case publishProgress
        case publishSnapshot(JobRecord.SnapshotInfo)
        /// Queue the job (at the front: it ran before and goes on).
        case enqueue(front: Bool)
        /// Take the job off the queue.
        case dequeue
        /// Ask the running fit to stop (it does so within one iteration).
        case stopRun
        /// Remove stored snapshots past the iteration, and the result.
        case clearSnapshots(after: Int)
        /// Remove the job's checkpoints but the one at `keeping` (every one with nil).
        case removeCheckpoints(keeping: Int?)
        /// Count the finished job in the metrics.
        case countFinished
        /// Tell the job's webhook, if its spec asks for this event.
        case notify(WebhookEvent)
    }

    struct Refused: Error, Equatable, CustomStringConvertible {
        var state: JobState
        var event: String
        var description: String { "a \(state.rawValue) job cannot take \(event)" }
    }

    /// Applies `event` to `record`: returns what must follow, or throws `Refused` (the record unchanged).
    static func apply(_ event: Event, to record: inout JobRecord) throws(Refused) -> [Effect] {
        func refuse() -> Refused { Refused(state: record.state, event: event.name) }
        switch (record.state, event) {
        case (.queued, .start(let date)):
            record.state = .running
            record.startedAt = date
            record.attempts += 1
            // A run that goes on from a checkpoint starts its progress there.
            record.progress = .init(iteration: record.checkpoint?.iteration ?? 0, total: record.parameters.iterations)
            return [.dequeue, .save, .publishState, .notify(.started)]

        case (.running, .progress(let p)):
            record.progress = p
            return [.publishProgress]

        case (.running, .snapshot(let info)):
            record.snapshots.removeAll { $0.iteration >= info.iteration }
            record.snapshots.append(info)
            return [.save, .publishSnapshot(info), .notify(.snapshot)]

        case (.running, .checkpoint(let iteration, let date)):
            record.checkpoint = .init(iteration: iteration, savedAt: date)
            // Older checkpoints go once the record names the new one, not before.
            return [.save, .removeCheckpoints(keeping: iteration)]

        case (.running, .checkpointUnusable), (.queued, .checkpointUnusable):
            record.checkpoint = nil
            record.snapshots = []
            record.progress = .init(iteration: 0, total: record.parameters.iterations)
            return [.removeCheckpoints(keeping: nil), .clearSnapshots(after: 0), .save]

        case (.running, .finish(let stop, let result, let date)):
            var effects = end(&record, at: date)
            record.state = stop == .canceled ? .canceled : .succeeded
            record.stopReason = stop.rawValue
            record.result = result
            effects += [.save, .publishState, .countFinished, .notify(.completed)]
            return effects

        case (.running, .fail(let error, let date)):
            var effects = end(&record, at: date)
            record.state = .failed
            record.error = error
            effects += [.save, .publishState, .countFinished, .notify(.completed)]
            return effects

        case (.running, .interrupt):
            record.state = .queued
            return rewind(&record) + [.enqueue(front: true), .save]

        case (.running, .lose(let maxLostRuns, let date)):
            let lost = (record.lostRuns ?? 0) + 1
            record.lostRuns = lost
            if lost >= maxLostRuns {
                var effects = end(&record, at: date)
                record.state = .failed
                record.error = JobError(code: "run_lost", message: "the service stopped during \(lost == 1 ? "this job's run" : "each of this job's \(lost) runs") (a crash or an out-of-memory kill?); it is not run again (max_lost_runs \(maxLostRuns))")
                effects += [.save, .publishState, .countFinished, .notify(.completed)]
                return effects
            }
            record.state = .queued
            record.result = nil
            return rewind(&record) + [.enqueue(front: true), .save]

        case (.queued, .cancel(let date)):
            let effects = end(&record, at: date)
            record.state = .canceled
            record.stopReason = StopReason.canceled.rawValue
            return [.dequeue] + effects + [.save, .publishState, .countFinished, .notify(.completed)]

        case (.running, .cancel):
            return [.stopRun]

        default:
            throw refuse()
        }
    }

    /// A job's end: the time, and its checkpoints are of no more use (files a crash left
    /// unnamed by the record too).
    private static func end(_ record: inout JobRecord, at date: Date) -> [Effect] {
        record.finishedAt = date
        record.checkpoint = nil
        return [.removeCheckpoints(keeping: nil)]
    }

    /// A run that stopped early goes on from its checkpoint: the progress and the
    /// snapshots return to it (to iteration 0 without one).
    private static func rewind(_ record: inout JobRecord) -> [Effect] {
        let kept = record.checkpoint?.iteration ?? 0
        record.progress = .init(iteration: kept, total: record.parameters.iterations)
        record.snapshots.removeAll { $0.iteration > kept }
        return [.clearSnapshots(after: kept)]
    }
}

extension JobLifecycle.Event {
    /// The event's name, for refusals and logs.
    var name: String {
        switch self {
        case .start: "start"
        case .progress: "progress"
        case .snapshot: "snapshot"
        case .checkpoint: "checkpoint"
        case .checkpointUnusable: "checkpoint-unusable"
        case .finish: "finish"
        case .fail: "fail"
        case .interrupt: "interrupt"
        case .lose: "lose"
        case .cancel: "cancel"
        }
    }
}
