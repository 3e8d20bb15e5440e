import DIPEngine

/// A run of a job on this service: its fit's stop flag and what the scheduler tracks of it.
struct Run: Sendable {
    let cancel = CancellationFlag()
    /// Stopped by a shutdown: goes back to the queue instead of being canceled.
    var interrupted = false
    /// Its lease went to another service (shared store): the run stops and writes nothing.
    var leaseLost = false
    var iterationsPerSecond = 0.0
    var lastProgressEvent = ContinuousClock.now - .seconds(10)

    /// Whether a progress event is due now (at most one per `interval`, and the last iteration's).
    mutating func progressEventDue(_ p: JobRecord.ProgressInfo, interval: Duration) -> Bool {
        let now = ContinuousClock.now
        guard now - lastProgressEvent >= interval || p.iteration == p.total else { return false }
        lastProgressEvent = now
        return true
    }
}

extension Dictionary where Key == JobID, Value == Run {
    /// A shutdown: every run stops between two layers and its job goes back to the queue.
    mutating func interruptAll() {
        for id in keys {
            self[id]?.interrupted = true
            self[id]?.cancel.cancel()
        }
    }

    /// Iterations a second of all the runs together.
    var iterationsPerSecond: Double { values.reduce(0) { $0 + $1.iterationsPerSecond } }
}

extension JobCounts {
    /// Every state is counted (0 where there is none).
    init(byState counted: [JobState: Int], queued: Int, runs: [JobID: Run], draining: Bool) {
        var byState: [JobState: Int] = [:]
        for s in JobState.allCases { byState[s] = counted[s] ?? 0 }
        self.init(byState: byState, queued: queued, running: runs.count, iterationsPerSecond: runs.iterationsPerSecond,
                  draining: draining)
    }
}

extension JobRecord {
    /// Seconds from the run's start to the job's end, for the metrics.
    var runSeconds: Double? { startedAt.flatMap { start in finishedAt.map { $0.timeIntervalSince(start) } } }
}
