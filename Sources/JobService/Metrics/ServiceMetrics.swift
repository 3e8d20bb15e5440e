import Prometheus

/// The service's Prometheus metrics. Counters and histograms are updated as things
/// happen; gauges of the current state (jobs by state, queue length, iterations per
/// second) are set from the job manager when `/metrics` is scraped.
final class ServiceMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let iterations: Counter
    private let jobDuration: ValueHistogram

    init() {
        iterations = registry.makeCounter(name: "dipd_iterations_total", help: "Fitting iterations done by all jobs.")
        jobDuration = registry.makeValueHistogram(
            name: "dipd_job_run_seconds", labels: [],
            buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400],
            help: "Running time of finished jobs, from start to finish.")
    }

    func request(route: String, method: String, status: Int, seconds: Double) {
        registry.makeCounter(name: "dipd_http_requests_total",
                             labels: [("route", route), ("method", method), ("status", String(status))],
                             help: "HTTP requests answered, by route, method and status.").increment()
        registry.makeValueHistogram(name: "dipd_http_request_seconds", labels: [("route", route)],
                                    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 60],
                                    help: "Time to produce a response (not to stream it), by route.").record(seconds)
    }

    func jobSubmitted(task: String) {
        registry.makeCounter(name: "dipd_jobs_submitted_total", labels: [("task", task)], help: "Jobs accepted, by task.").increment()
    }

    func jobFinished(state: JobState, stopReason: String?, seconds: Double?) {
        registry.makeCounter(name: "dipd_jobs_finished_total", labels: [("state", state.rawValue)],
                             help: "Jobs finished, by final state.").increment()
        if let stopReason {
            registry.makeCounter(name: "dipd_fits_stopped_total", labels: [("reason", stopReason)],
                                 help: "Fits ended, by why they ended: iterations, auto_stop, time_limit, canceled.").increment()
        }
        if let seconds { jobDuration.record(seconds) }
    }

    func iterationDone() { iterations.increment() }

    func checkpointSaved(bytes: Int, seconds: Double) {
        registry.makeCounter(name: "dipd_checkpoints_saved_total", help: "Fit checkpoints written.").increment()
        registry.makeValueHistogram(name: "dipd_checkpoint_write_seconds", labels: [],
                                    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
                                    help: "Time to encode and durably write one checkpoint.").record(seconds)
        registry.makeGauge(name: "dipd_checkpoint_last_bytes", help: "Size of the last checkpoint written.").set(to: Double(bytes))
    }

    func snapshotNotKept() {
        registry.makeCounter(name: "dipd_snapshots_not_kept_total",
                             help: "Snapshots a running fit could not store (a full or unreachable store); the fit went on.").increment()
    }

    func runResumed() {
        registry.makeCounter(name: "dipd_runs_resumed_total", help: "Runs that went on from a checkpoint.").increment()
    }

    func webhookQueued(event: String) {
        registry.makeCounter(name: "dipd_webhook_deliveries_queued_total", labels: [("event", event)],
                             help: "Webhook deliveries queued, by event.").increment()
    }

    /// One attempt: delivered (2xx), rejected (another status) or failed (no answer, refused address).
    func webhookAttempt(outcome: String) {
        registry.makeCounter(name: "dipd_webhook_attempts_total", labels: [("outcome", outcome)],
                             help: "Webhook requests made, by outcome: delivered, rejected, failed.").increment()
    }

    /// A delivery's end: delivered, or failed after its last attempt.
    func webhookFinished(outcome: String) {
        registry.makeCounter(name: "dipd_webhook_deliveries_total", labels: [("outcome", outcome)],
                             help: "Webhook deliveries ended, by outcome: delivered, failed (every attempt failed).").increment()
    }

    /// The exposition text, with the current state gauges.
    func exposition(_ counts: JobCounts) -> [UInt8] {
        for (state, n) in counts.byState {
            registry.makeGauge(name: "dipd_jobs", labels: [("state", state.rawValue)], help: "Jobs known, by state.").set(to: Double(n))
        }
        registry.makeGauge(name: "dipd_queue_length", help: "Jobs waiting for a worker.").set(to: Double(counts.queued))
        registry.makeGauge(name: "dipd_jobs_running", help: "Jobs being fitted.").set(to: Double(counts.running))
        registry.makeGauge(name: "dipd_iterations_per_second", help: "Fitting speed summed over running jobs.").set(to: counts.iterationsPerSecond)
        registry.makeGauge(name: "dipd_draining", help: "1 while shutting down.").set(to: counts.draining ? 1 : 0)
        return registry.emitToBuffer()
    }
}
