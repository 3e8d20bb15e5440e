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
