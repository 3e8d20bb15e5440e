import DIPTasks
import Foundation

/// A webhook delivery as `GET /v1/jobs/{id}/deliveries` shows it (the body it sends is the
/// job's view at the event, not repeated here).
struct DeliveryView: Encodable {
    var id: String
    var event: WebhookEvent
    var url: String
    var state: Delivery.State
    var attempts: Int
    var createdAt: Date
    /// When the next attempt is due; null once delivered or given up.
    var nextAttemptAt: Date?
    var lastStatus: Int?
    var lastError: String?
    var deliveredAt: Date?

    init(_ d: Delivery) {
        id = d.id; event = d.event; url = d.url; state = d.state; attempts = d.attempts; createdAt = d.createdAt
        nextAttemptAt = d.state == .pending ? d.nextAttemptAt : nil
        lastStatus = d.lastStatus; lastError = d.lastError; deliveredAt = d.deliveredAt
    }

    // Absent optionals are written as null, so every documented field is always there.
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JobView.Key.self)
        try c.encode(id, forKey: .init("id")); try c.encode(event, forKey: .init("event")); try c.encode(url, forKey: .init("url"))
        try c.encode(state, forKey: .init("state")); try c.encode(attempts, forKey: .init("attempts"))
        try c.encode(createdAt, forKey: .init("created_at")); try c.encode(nextAttemptAt, forKey: .init("next_attempt_at"))
        try c.encode(lastStatus, forKey: .init("last_status")); try c.encode(lastError, forKey: .init("last_error"))
        try c.encode(deliveredAt, forKey: .init("delivered_at"))
    }

    struct List: Encodable { var deliveries: [DeliveryView] }
}
