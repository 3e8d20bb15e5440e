/// The schedulers' intervals, in one place, each with why it is what it is. The settings
/// table sets those that are settings (`progress_event_interval_ms`, `store_retry_seconds`,
/// `lease_renew_seconds`); the others follow from them or from the store's kind.
struct SchedulerTiming: Sendable, Equatable {
    /// The least time between two `progress` events of a job: a fit makes several
    /// iterations a second on small images, more than a page wants to redraw.
    var progressEvents: Duration = .milliseconds(250)
    /// How often `Prefer: wait` and cancel look whether a job finished: a local job's
    /// state is in memory (cheap to look at), a shared one's is a database query.
    var finishPoll: Duration = .milliseconds(100)
    /// How long a worker waits before it writes again to a store that cannot be reached.
    var storeRetry: Duration = .seconds(1)
    /// How often a shared scheduler renews the leases of the jobs it runs (and saves
    /// their progress); must be well under the lease's length.
    var leaseRenewal: Duration = .seconds(1)
    /// A shared scheduler with no notification looks for work this often at most (a
    /// lease that expires sends none): a quarter of the lease.
    var claimPoll: Duration = .seconds(7)

    init() {}

    init(_ c: ServiceConfiguration, shared: Bool) {
        progressEvents = .milliseconds(c.progressEventIntervalMilliseconds)
        storeRetry = .seconds(c.storeRetrySeconds)
        leaseRenewal = .seconds(c.leaseRenewSeconds)
        if shared {
            finishPoll = .milliseconds(250)
            claimPoll = .seconds(max(1, c.leaseSeconds / 4))
        }
    }
}
