import Foundation
import Synchronization

/// Deliveries in memory, for tests: a service's own, or (sharing one `Table` under
/// different owner names) those of services on one shared store, leases included.
final class InMemoryDeliveryStore: DeliveryStore {
    final class Table: Sendable {
        struct Row {
            var delivery: Delivery
            var leaseOwner: String?
            var leaseExpires: Date?
        }
        let rows = Mutex<[Row]>([])
        init() {}
    }

    let table: Table
    let owner: String

    init(table: Table = Table(), owner: String = "local") {
        self.table = table
        self.owner = owner
    }

    func add(_ delivery: Delivery) throws -> Delivery {
        table.rows.withLock { rows in
            var d = delivery
            d.sequence = (rows.filter { $0.delivery.job == d.job }.map(\.delivery.sequence).max() ?? 0) + 1
            rows.append(Table.Row(delivery: d))
            return d
        }
    }

    func claim(now: Date, leaseSeconds: Int) throws -> Delivery? {
        table.rows.withLock { rows in
            let candidates = rows.map { ($0.delivery, $0.leaseExpires.map { $0 > now } ?? false) }
            guard let i = Delivery.pick(candidates, now: now) else { return nil }
            rows[i].leaseOwner = owner
            rows[i].leaseExpires = now + TimeInterval(leaseSeconds)
            return rows[i].delivery
        }
    }

    func finishAttempt(_ delivery: Delivery) throws {
        try table.rows.withLock { rows in
            guard let i = rows.firstIndex(where: { $0.delivery.id == delivery.id }), rows[i].leaseOwner == owner else {
                throw DeliveryLeaseLost(id: delivery.id)
            }
            rows[i] = Table.Row(delivery: delivery)
        }
    }

    func deliveries(_ job: JobID) throws -> [Delivery] {
        table.rows.withLock { $0.map(\.delivery).filter { $0.job == job }.sorted { $0.sequence < $1.sequence } }
    }

    func nextDue() throws -> Date? {
        table.rows.withLock { $0.filter { $0.delivery.state == .pending }.map(\.delivery.nextAttemptAt).min() }
    }
}

/// The delivery's lease went to another sender (it was held past its lease), or the
/// delivery is gone with its job: the attempt's outcome is not saved.
struct DeliveryLeaseLost: Error, CustomStringConvertible {
    var id: String
    var description: String { "delivery \(id) is no longer held by this service" }
}
