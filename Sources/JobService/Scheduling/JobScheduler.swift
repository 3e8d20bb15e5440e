import DIPEngine
import Foundation
import Logging

/// Where jobs wait and who runs them: the one interface the API and the workers use.
/// Two drivers, chosen once at start: `LocalScheduler` (this process's queue, the embedded
/// store) and `SharedScheduler` (a queue in a store several services share, with leases).
/// Both change a job's state only through `JobLifecycle`.
protocol JobScheduler: AnyObject, Sendable {
    var store: any JobStore { get }
    var configuration: ServiceConfiguration { get }
    var metrics: ServiceMetrics { get }
    var logger: Logger { get }
    var timing: SchedulerTiming { get }

    /// Loads what the store holds and starts what the driver runs in the background.
    func start()
    /// Stops the background work `start` began (after `beginDraining`).
    func stop()

    // MARK: Requests
    func existing(idempotencyKey key: String) throws -> JobRecord?
    /// Whether a job would be taken now (an early 429/503 before any decoding).
    func admissionCheck() throws(JobRejection)
    /// Stores the job and queues it. `make` builds the record for the given ID and sequence.
    func submit(idempotencyKey: String?, inputs: [(file: String, bytes: [UInt8])],
                make: (JobID, UInt64) -> JobRecord) throws -> SubmitOutcome
    func job(_ id: JobID) throws -> JobSnapshot?
    /// Newest first; `after` is the sequence number of the last job of the previous page.
    func list(state: JobState?, limit: Int, after: UInt64?) throws -> (jobs: [JobSnapshot], more: Bool)
    /// Cancels a queued job at once, or asks its running fit to stop. nil: no such job.
    func requestCancel(_ id: JobID) throws -> Bool?
    /// Cancels the job if needed and removes it with its files.
    func delete(_ id: JobID) throws -> Bool
    /// Events after `lastEventID` (or a `status` event), then the job live until it ends.
    func subscribe(_ id: JobID, lastEventID: Int?) throws -> JobSubscription?
    func counts() -> JobCounts
    /// Removes finished jobs that finished before `date`.
    func sweep(finishedBefore date: Date) -> Int
    /// Takes no more jobs; running fits stop between two layers and go back to the queue.
    func beginDraining()

    // MARK: Workers
    /// Blocks until a job can be run (returning it, marked running) or the workers stop (nil).
    func takeNext(stopping: @escaping () -> Bool) -> (JobRecord, CancellationFlag)?
    /// Wakes workers waiting in `takeNext` (to see that they stop).
    func wakeWorkers()
    func reportProgress(_ id: JobID, _ progress: JobRecord.ProgressInfo)
    func addSnapshot(_ id: JobID, _ info: JobRecord.SnapshotInfo)
    /// The running fit's state was saved at `iteration` (the file is written before).
    func noteCheckpoint(_ id: JobID, iteration: Int)
    /// The job's checkpoint cannot be used: its run starts from iteration 0.
    func dropCheckpoint(_ id: JobID)
    /// The run ended (how: `outcome`); a run a shutdown interrupted goes back to the queue.
    func finish(_ id: JobID, _ outcome: RunOutcome)
    /// Whether a shutdown stopped the job's run.
    func isInterrupted(_ id: JobID) -> Bool
    /// Whether the job still exists and is still this service's to run.
    func isCurrent(_ id: JobID) -> Bool

    // MARK: Tiled jobs (what `TiledScheduler` builds on)
    /// Stores a tiled job: its parent, running from now on and never queued, then its tile
    /// jobs, queued in tile order. Sequence numbers are given here, the parent's first.
    func submitTiled(idempotencyKey: String?, parent: JobRecord, inputs: [(file: String, bytes: [UInt8])],
                     tiles: [TileSubmission]) throws -> SubmitOutcome
    /// The tile jobs of a tiled job that still exist, in no particular order.
    func tiles(of parent: JobRecord) throws -> [JobRecord]
    /// Applies an event to a job that no worker runs (a tiled job's parent) and carries its
    /// effects out. nil: refused, or the job changed meanwhile (another service settled it).
    @discardableResult
    func settle(_ id: JobID, _ event: JobLifecycle.Event) throws -> JobRecord?
    /// Tells the job's followers of an event that is not a transition (a tiled job's progress).
    func publish(_ id: JobID, _ payload: JobEvent.Payload)
}

/// A tile job to store with its tiled job: its record (sequence given by the scheduler) and inputs.
struct TileSubmission: Sendable {
    var record: JobRecord
    var inputs: [(file: String, bytes: [UInt8])]
}

/// Why a submission is not taken now.
public enum JobRejection: Error, Equatable, Sendable {
    case queueFull, draining
}

public enum SubmitOutcome: Sendable {
    case created(JobRecord)
    case existing(JobRecord)
}

/// How a run ended, as its worker tells it.
enum RunOutcome: Equatable, Sendable {
    case finished(StopReason, JobRecord.ResultInfo?)
    case failed(JobError)
}

/// Events to send now, then a live stream (nil when the job has finished).
public struct JobSubscription: Sendable {
    public var initial: [JobEvent]
    public var live: AsyncStream<JobEvent>?
    public var unsubscribe: @Sendable () -> Void
}

public struct JobCounts: Sendable {
    public var byState: [JobState: Int]
    public var queued: Int
    public var running: Int
    public var iterationsPerSecond: Double
    public var draining: Bool
}

extension JobScheduler {
    /// Waits until the job has finished or `timeout` has passed.
    func waitUntilFinished(_ id: JobID, timeout: Duration) async throws -> JobSnapshot? {
        let deadline = ContinuousClock.now + timeout
        while true {
            guard let s = try job(id) else { return nil }
            if s.record.state.isFinished || ContinuousClock.now >= deadline { return s }
            try? await Task.sleep(for: timing.finishPoll)
        }
    }

    /// Cancels the job and waits up to `wait` for its run to stop.
    func cancel(_ id: JobID, wait: Duration = .seconds(5)) async throws -> JobSnapshot? {
        guard let asked = try requestCancel(id) else { return nil }
        if !asked { return try job(id) }
        return try await waitUntilFinished(id, timeout: wait)
    }

    /// Removes finished jobs older than the retention time.
    func sweepExpired(now: Date = Date()) -> Int {
        sweep(finishedBefore: now - TimeInterval(configuration.retentionSeconds))
    }

    /// Runs `write`, and again every `store_retry_seconds` while the store cannot be
    /// reached, or (`waitingForSpace`) has no room: the worker waits for the database to come
    /// back, or for space, rather than lose the job's result. Until a drain.
    func whileStoreUnavailable(waitingForSpace: Bool = true, _ write: () throws -> Void) throws {
        while true {
            do { return try write() } catch let e where e is JobStoreUnavailable || (waitingForSpace && e is JobStoreFull) {
                if counts().draining { throw e }
                logger.warning("\(e); trying again in \(timing.storeRetry)")
                Thread.sleep(forTimeInterval: timing.storeRetry.seconds)
            }
        }
    }
}
