import DIPTasks
import Foundation

/// One webhook call owed for an event of a job: the request, fixed when the event happened,
/// and how its attempts went. A job's deliveries are sent one at a time, in `sequence` order:
/// the next waits until the one before was delivered or given up.
struct Delivery: Codable, Sendable, Equatable {
    enum State: String, Codable, Sendable {
        /// Not delivered yet: due at `nextAttemptAt`.
        case pending
        /// A 2xx answered it.
        case delivered
        /// Every attempt failed; not tried again.
        case failed
    }

    /// `Webhook-Id`: the same on every attempt, so that receivers can drop repeats.
    var id: String
    var job: JobID
    /// Grows by one per delivery of the job, from 1.
    var sequence: Int
    var event: WebhookEvent
    var url: String
    /// The envelope, rendered when the event happened (the job as it was then).
    var body: String
    var createdAt: Date
    var state: State = .pending
    var attempts = 0
    var nextAttemptAt: Date
    /// The last attempt's HTTP status (nil: none came back).
    var lastStatus: Int?
    var lastError: String?
    var deliveredAt: Date?

    init(id: String = Delivery.newID(), job: JobID, sequence: Int, event: WebhookEvent, url: String, body: String, createdAt: Date) {
        self.id = id; self.job = job; self.sequence = sequence; self.event = event; self.url = url; self.body = body
        self.createdAt = createdAt; self.nextAttemptAt = createdAt
    }

    /// `msg_` and 24 random hexadecimal digits.
    static func newID() -> String {
        "msg_" + (0..<12).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }
}

/// How one attempt went.
enum DeliveryOutcome: Equatable, Sendable {
    /// A 2xx.
    case delivered(status: Int)
    /// Any other status, including redirects, which are not followed.
    case rejected(status: Int)
    /// No answer: refused address, connection error, timeout, malformed response.
    case failed(String)

    /// The metrics' label.
    var label: String {
        switch self {
        case .delivered: "delivered"
        case .rejected: "rejected"
        case .failed: "failed"
        }
    }
}

extension Delivery {
    /// The delivery after an attempt at `now`: delivered, due again after the policy's
    /// backoff, or given up after its last attempt.
    func after(_ outcome: DeliveryOutcome, at now: Date, policy: RetryPolicy) -> Delivery {
        var d = self
        d.attempts += 1
        switch outcome {
        case .delivered(let status):
            d.state = .delivered; d.lastStatus = status; d.lastError = nil; d.deliveredAt = now
        case .rejected(let status):
            d.lastStatus = status; d.lastError = "HTTP \(status)"
        case .failed(let error):
            d.lastStatus = nil; d.lastError = error
        }
        if d.state == .pending {
            if d.attempts >= policy.maxAttempts { d.state = .failed } else { d.nextAttemptAt = now + policy.backoff(afterAttempt: d.attempts) }
        }
        return d
    }
}
