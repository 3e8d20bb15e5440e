import Foundation
import PostgresNIO

/// Deliveries in `dipd_deliveries` (schema version 3): the whole delivery as JSON, with the
/// columns the queries select on. A sender claims one with `FOR UPDATE SKIP LOCKED` and a
/// lease on the database's clock, as workers claim jobs, so that of several services only
/// one sends it at a time; a job's later deliveries wait while an earlier one is pending.
/// They go with their job (`ON DELETE CASCADE`).
extension PostgresJobStore: DeliveryStore {
    private func delivery(_ text: String) throws -> Delivery {
        try JSONDecoder.service().decode(Delivery.self, from: Data(text.utf8))
    }

    private func json(_ d: Delivery) throws -> String {
        String(decoding: try JSONEncoder.service().encode(d), as: UTF8.self)
    }

    func add(_ delivery: Delivery) throws -> Delivery {
        // The number is taken under a lock on the job's row, so two services cannot take the same.
        let rows = try run("""
            WITH job AS (SELECT id FROM dipd_jobs WHERE id = \(delivery.job.rawValue) FOR UPDATE)
            SELECT coalesce(max(d.seq), 0) + 1 FROM job LEFT JOIN dipd_deliveries d ON d.job_id = job.id
            """).rows
        guard let row = rows.first else { throw Failure(description: "job \(delivery.job) is gone") }
        var d = delivery
        d.sequence = Int(try row.decode(Int64.self))
        try run("""
            INSERT INTO dipd_deliveries (id, job_id, seq, state, next_attempt_at, delivery)
            VALUES (\(d.id), \(d.job.rawValue), \(Int64(d.sequence)), \(d.state.rawValue), \(d.nextAttemptAt), \(try json(d))::jsonb)
            """)
        return d
    }

    func claim(now: Date, leaseSeconds: Int) throws -> Delivery? {
        let rows = try run("""
            WITH pick AS (
              SELECT p.id FROM dipd_deliveries p
              WHERE p.state = 'pending' AND p.next_attempt_at <= now()
                AND (p.lease_expires IS NULL OR p.lease_expires < now())
                AND NOT EXISTS (SELECT 1 FROM dipd_deliveries e
                                WHERE e.job_id = p.job_id AND e.state = 'pending' AND e.seq < p.seq)
              ORDER BY p.next_attempt_at, p.seq LIMIT 1 FOR UPDATE SKIP LOCKED)
            UPDATE dipd_deliveries d SET lease_owner = \(owner),
              lease_expires = now() + \(Int64(leaseSeconds)) * interval '1 second'
            FROM pick WHERE d.id = pick.id
            RETURNING d.delivery::text
            """).rows
        guard let row = rows.first else { return nil }
        return try delivery(try row.decode(String.self))
    }

    func finishAttempt(_ d: Delivery) throws {
        let rows = try run("""
            UPDATE dipd_deliveries SET state = \(d.state.rawValue), next_attempt_at = \(d.nextAttemptAt),
              delivery = \(try json(d))::jsonb, lease_owner = NULL, lease_expires = NULL
            WHERE id = \(d.id) AND lease_owner = \(owner)
            RETURNING id
            """).rows
        if rows.first == nil { throw DeliveryLeaseLost(id: d.id) }
    }

    func deliveries(_ job: JobID) throws -> [Delivery] {
        try run("SELECT delivery::text FROM dipd_deliveries WHERE job_id = \(job.rawValue) ORDER BY seq").rows
            .map { try delivery(try $0.decode(String.self)) }
    }

    func nextDue() throws -> Date? {
        let rows = try run("SELECT min(next_attempt_at) FROM dipd_deliveries WHERE state = 'pending'").rows
        return try rows.first?.decode(Date?.self) ?? nil
    }
}
