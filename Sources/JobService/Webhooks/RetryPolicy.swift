import Foundation

/// When a failed delivery is tried again: after `first`, doubling with every failed attempt
/// up to `max`, for `maxAttempts` attempts in all. No jitter: a job's deliveries go one at a
/// time, so retries of many jobs do not line up against a receiver more than their events did.
struct RetryPolicy: Sendable, Equatable {
    var maxAttempts: Int
    var first: TimeInterval
    var max: TimeInterval

    /// The wait after the `attempt`th failed attempt (1-based).
    func backoff(afterAttempt attempt: Int) -> TimeInterval {
        let doubled = first * pow(2, Double(Swift.min(attempt - 1, 60)))
        return Swift.min(max, doubled)
    }
}
