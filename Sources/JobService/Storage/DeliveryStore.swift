import Foundation

/// Where webhook deliveries wait, beside the jobs: they outlive a restart, and on a shared
/// store each is sent by one service at a time (a sender holds it under a lease while it
/// tries). `FileDeliveryStore` keeps them in the job's directory, `PostgresJobStore` in
/// `dipd_deliveries`, `InMemoryDeliveryStore` (whose `Table` several services may share) in memory.
protocol DeliveryStore: Sendable {
    /// Stores a new delivery as the job's last (the store numbers it) and returns it.
    func add(_ delivery: Delivery) throws -> Delivery
    /// Takes the delivery due first: pending, due by `now`, the first pending one of its job,
    /// and not held by a sender (a held one makes its job's later ones wait too). It is
    /// held for `leaseSeconds`.
    func claim(now: Date, leaseSeconds: Int) throws -> Delivery?
    /// Saves a claimed delivery after an attempt and gives its lease up.
    func finishAttempt(_ delivery: Delivery) throws
    /// The job's deliveries, in order.
    func deliveries(_ job: JobID) throws -> [Delivery]
    /// When the next pending delivery is due (nil: none is pending), to sleep until then.
    func nextDue() throws -> Date?
}

extension Delivery {
    /// Among `rows` (the store's deliveries and whether each is held by a sender now), the
    /// index of the one to claim: the stores without SQL pick with this.
    static func pick(_ rows: [(delivery: Delivery, held: Bool)], now: Date) -> Int? {
        var firstPending: [JobID: Int] = [:]
        for (i, row) in rows.enumerated() where row.delivery.state == .pending {
            if let j = firstPending[row.delivery.job], rows[j].delivery.sequence < row.delivery.sequence { continue }
            firstPending[row.delivery.job] = i
        }
        return firstPending.values
            .filter { !rows[$0].held && rows[$0].delivery.nextAttemptAt <= now }
            .min { (rows[$0].delivery.nextAttemptAt, rows[$0].delivery.sequence) < (rows[$1].delivery.nextAttemptAt, rows[$1].delivery.sequence) }
    }
}
