import DIPEngine
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The queue, the leases and the events of services that share one PostgreSQL database.
///
/// - `dipd_jobs.state` mirrors the record's state and is what the queries select on; a
///   job is taken with `FOR UPDATE SKIP LOCKED`, so two services never take the same one.
/// - A running job has `lease_owner` and `lease_expires` (the database's clock, so the
///   services' clocks do not matter). Its service renews the lease every second; once it
///   has expired, any service may take the job over. Every lease is also written to
///   `dipd_leases` (start, expiry as renewed, end and why), the history that shows no job
///   ran under two leases at once.
/// - Events are rows of `dipd_events`; `NOTIFY dipd_events` names the job that has new
///   ones, `dipd_queue` tells the services that a job was queued, `dipd_cancel` names a
///   job to stop.
extension PostgresJobStore {
    private func record(_ text: String) throws -> JobRecord {
        try JSONDecoder.service().decode(JobRecord.self, from: Data(text.utf8))
    }

    func nextSequence() throws -> UInt64 {
        let rows = try run("SELECT nextval('dipd_job_sequence')").rows
        guard let n = try rows.first?.decode(Int64.self) else { throw Failure(description: "no sequence number") }
        return UInt64(n)
    }

    func submit(_ record: JobRecord, inputs: [(file: String, bytes: [UInt8])]) throws {
        do {
            try create(record, inputs: inputs)
        } catch let e as PSQLError where e.serverInfo?[.sqlState] == "23505" {
            throw DuplicateIdempotencyKey()
        }
        try run("SELECT pg_notify('dipd_queue', '')")
    }

    func claim(leaseSeconds: Int) throws -> (record: JobRecord, takenOver: Bool)? {
        let lease = Int64(leaseSeconds)
        let rows = try run("""
            WITH pick AS (
              SELECT id, state AS was, lease_expires AS last_expiry FROM dipd_jobs
              WHERE state = 'queued' OR (state = 'running' AND lease_expires < now())
              ORDER BY sequence LIMIT 1 FOR UPDATE SKIP LOCKED),
            ended AS (
              UPDATE dipd_leases l SET ended_at = least(pick.last_expiry, now()), end_reason = 'expired'
              FROM pick WHERE l.job_id = pick.id AND l.ended_at IS NULL),
            claimed AS (
              UPDATE dipd_jobs j SET state = 'running', lease_owner = \(owner),
                lease_expires = now() + \(lease) * interval '1 second', cancel_requested = false
              FROM pick WHERE j.id = pick.id
              RETURNING j.id, j.record, pick.was),
            started AS (
              INSERT INTO dipd_leases (job_id, attempt, owner, started_at, expires_at)
              SELECT id, coalesce((record->>'attempts')::integer, 0) + 1, \(owner), now(), now() + \(lease) * interval '1 second'
              FROM claimed)
            SELECT record::text, was FROM claimed
            """).rows
        guard let row = rows.first else { return nil }
        let (text, was) = try row.decode((String, String).self)
        return (try record(text), was == JobState.running.rawValue)
    }

    func hold(_ record: JobRecord, leaseSeconds: Int) throws -> Bool {
        let rows = try run("""
            WITH job AS (
              UPDATE dipd_jobs SET record = \(try json(record))::jsonb,
                lease_expires = now() + \(Int64(leaseSeconds)) * interval '1 second'
              WHERE id = \(record.id.rawValue) AND lease_owner = \(owner) AND state = 'running'
              RETURNING id, cancel_requested, lease_expires),
            renewed AS (
              UPDATE dipd_leases l SET expires_at = job.lease_expires FROM job
              WHERE l.job_id = job.id AND l.owner = \(owner) AND l.ended_at IS NULL)
            SELECT cancel_requested FROM job
            """).rows
        guard let row = rows.first else { throw LeaseLost(id: record.id) }
        return try row.decode(Bool.self)
    }

    func release(_ record: JobRecord, reason: String) throws {
        let rows = try run("""
            WITH job AS (
              UPDATE dipd_jobs SET record = \(try json(record))::jsonb, state = \(record.state.rawValue),
                lease_owner = NULL, lease_expires = NULL, cancel_requested = false
              WHERE id = \(record.id.rawValue) AND lease_owner = \(owner)
              RETURNING id),
            ended AS (
              UPDATE dipd_leases l SET ended_at = now(), end_reason = \(reason) FROM job
              WHERE l.job_id = job.id AND l.owner = \(owner) AND l.ended_at IS NULL)
            SELECT id FROM job
            """).rows
        guard !rows.isEmpty else { throw LeaseLost(id: record.id) }
        if record.state == .queued { try run("SELECT pg_notify('dipd_queue', '')") }
        if record.state.isFinished {
            // A finished job's progress events are history: only the last is kept (its
            // states, snapshots and end stay), so the table grows with jobs, not with iterations.
            try run("""
                DELETE FROM dipd_events WHERE job_id = \(record.id.rawValue) AND name = 'progress' AND id <
                  (SELECT max(id) FROM dipd_events WHERE job_id = \(record.id.rawValue) AND name = 'progress')
                """)
        }
    }

    func expireOwnLeases() throws -> Int {
        let rows = try run("""
            UPDATE dipd_jobs SET lease_expires = now() - interval '1 second'
            WHERE lease_owner = \(owner) AND state = 'running' RETURNING id
            """).rows
        return rows.count
    }

    // MARK: Reading

    /// A queued job's place: 1 for the oldest.
    private static let queuePositionSQL = """
        CASE WHEN j.state = 'queued' THEN
          (SELECT count(*) FROM dipd_jobs q WHERE q.state = 'queued' AND q.sequence <= j.sequence) END
        """

    private func decodeListed(_ rows: [PostgresRow]) throws -> [(record: JobRecord, queuePosition: Int?)] {
        try rows.map { row in
            let (text, position) = try row.decode((String, Int64?).self)
            return (try record(text), position.map(Int.init))
        }
    }

    func find(_ id: JobID) throws -> (record: JobRecord, queuePosition: Int?)? {
        let rows = try run(PostgresQuery(unsafeSQL: """
            SELECT j.record::text, \(Self.queuePositionSQL) FROM dipd_jobs j WHERE j.id = $1
            """, binds: binds(id.rawValue))).rows
        return try decodeListed(rows).first
    }

    func find(idempotencyKey key: String) throws -> JobRecord? {
        let rows = try run("SELECT record::text FROM dipd_jobs WHERE idempotency_key = \(key)").rows
        return try rows.first.map { try record(try $0.decode(String.self)) }
    }

    func list(state: JobState?, limit: Int, before sequence: UInt64?) throws -> (jobs: [(record: JobRecord, queuePosition: Int?)], more: Bool) {
        var b = PostgresBindings()
        b.append(state?.rawValue)
        b.append(sequence.map { Int64($0) })
        b.append(Int64(limit + 1))
        let rows = try run(PostgresQuery(unsafeSQL: """
            SELECT j.record::text, \(Self.queuePositionSQL) FROM dipd_jobs j
            WHERE NOT (j.record ? 'tile_of') AND ($1::text IS NULL OR j.state = $1) AND ($2::bigint IS NULL OR j.sequence < $2)
            ORDER BY j.sequence DESC LIMIT $3
            """, binds: b)).rows
        let jobs = try decodeListed(Array(rows))
        return (Array(jobs.prefix(limit)), jobs.count > limit)
    }

    func countByState() throws -> [JobState: Int] {
        var counts: [JobState: Int] = [:]
        for row in try run("SELECT state, count(*) FROM dipd_jobs WHERE NOT (record ? 'tile_of') GROUP BY state").rows {
            let (state, n) = try row.decode((String, Int64).self)
            if let s = JobState(rawValue: state) { counts[s] = Int(n) }
        }
        return counts
    }

    func replace(_ record: JobRecord, ifState state: JobState) throws -> Bool {
        let rows = try run("""
            UPDATE dipd_jobs SET state = \(record.state.rawValue), record = \(try json(record))::jsonb
            WHERE id = \(record.id.rawValue) AND state = \(state.rawValue) AND lease_owner IS NULL RETURNING id
            """).rows
        return !rows.isEmpty
    }

    func records(_ ids: [JobID]) throws -> [JobRecord] {
        guard !ids.isEmpty else { return [] }
        var b = PostgresBindings()
        b.append(ids.map(\.rawValue))
        return try run(PostgresQuery(unsafeSQL: "SELECT record::text FROM dipd_jobs WHERE id = ANY($1::text[])", binds: b)).rows
            .map { try record(try $0.decode(String.self)) }
    }

    func requestCancel(_ id: JobID) throws -> Bool {
        let rows = try run("""
            WITH job AS (UPDATE dipd_jobs SET cancel_requested = true WHERE id = \(id.rawValue) AND state = 'running' RETURNING id)
            SELECT pg_notify('dipd_cancel', id) FROM job
            """).rows
        return !rows.isEmpty
    }

    func remove(_ id: JobID) throws -> Bool {
        let rows = try run("DELETE FROM dipd_jobs WHERE id = \(id.rawValue) RETURNING lease_owner").rows
        guard let row = rows.first else { return false }
        if try row.decode(String?.self) != nil { try run("SELECT pg_notify('dipd_cancel', \(id.rawValue))") }
        try run("SELECT pg_notify('dipd_events', \(id.rawValue))")
        return true
    }

    func removeFinished(before date: Date) throws -> Int {
        // A tile job goes with its tiled job, not on its own.
        let jobs = try run("""
            DELETE FROM dipd_jobs WHERE state IN ('succeeded', 'failed', 'canceled') AND NOT (record ? 'tile_of')
              AND (record->>'finished_at')::timestamptz < \(date) RETURNING id
            """).rows.count
        let tiles = try run("""
            DELETE FROM dipd_jobs t WHERE t.record ? 'tile_of'
              AND NOT EXISTS (SELECT 1 FROM dipd_jobs p WHERE p.id = t.record->'tile_of'->>'parent') RETURNING id
            """).rows.count
        return jobs + tiles
    }

    // MARK: Events

    func append(_ id: JobID, _ payload: JobEvent.Payload) throws {
        let (kind, data) = try payload.stored()
        let name = kind.rawValue
        try run("""
            WITH e AS (INSERT INTO dipd_events (job_id, name, data)
              SELECT id, \(name), \(data) FROM dipd_jobs WHERE id = \(id.rawValue) RETURNING job_id)
            SELECT pg_notify('dipd_events', job_id) FROM e
            """)
    }

    func events(_ id: JobID, after: Int) throws -> [JobEvent] {
        try run("SELECT id, name, data FROM dipd_events WHERE job_id = \(id.rawValue) AND id > \(Int64(after)) ORDER BY id").rows.compactMap {
            let (n, name, data) = try $0.decode((Int64, String, String).self)
            // An event this version cannot read (an older version's) is history: left out.
            guard let kind = JobEventKind(rawValue: name), let payload = try? JobEvent.Payload(stored: kind, data: data, job: id) else { return nil }
            return JobEvent(id: Int(n), payload: payload)
        }
    }

    func lastEventID(_ id: JobID) throws -> Int {
        let rows = try run("SELECT coalesce(max(id), 0) FROM dipd_events WHERE job_id = \(id.rawValue)").rows
        return Int(try rows.first?.decode(Int64.self) ?? 0)
    }

    // MARK: Leases, for tests and operators

    struct Lease: Sendable {
        var jobID: String, attempt: Int, owner: String
        var startedAt: Date, expiresAt: Date, endedAt: Date?, endReason: String?
    }

    /// Every lease ever taken on the stored jobs, by job and start.
    func leases() throws -> [Lease] {
        try run("SELECT job_id, attempt, owner, started_at, expires_at, ended_at, end_reason FROM dipd_leases ORDER BY job_id, started_at").rows.map {
            let (job, attempt, owner, started, expires, ended, reason) = try $0.decode((String, Int32, String, Date, Date, Date?, String?).self)
            return Lease(jobID: job, attempt: Int(attempt), owner: owner, startedAt: started, expiresAt: expires, endedAt: ended, endReason: reason)
        }
    }

    // MARK: Listening

    func listen(queued: @escaping @Sendable () -> Void, cancel: @escaping @Sendable (JobID) -> Void,
                events: @escaping @Sendable (JobID) -> Void) {
        let l = PostgresListener(store: self, channels: [
            "dipd_queue": { _ in queued() },
            "dipd_cancel": { payload in JobID(payload).map(cancel) },
            "dipd_events": { payload in JobID(payload).map(events) },
        ], reconnected: queued)
        listener.withLock { $0 = l }
        l.start()
    }

    func stopListening() {
        listener.withLock { $0?.stop(); $0 = nil }
    }

    private func binds(_ values: String...) -> PostgresBindings {
        var b = PostgresBindings()
        for v in values { b.append(v) }
        return b
    }
}

/// One connection that does nothing but `LISTEN`, opened again a while after it is lost.
/// Notifications are handed to the callbacks on a serial queue of its own, never on the
/// connection's event loop (the callbacks query the database and wait).
final class PostgresListener: Sendable {
    private weak let store: PostgresJobStore?
    private let channels: [String: @Sendable (String) -> Void]
    private let reconnected: @Sendable () -> Void
    private let delivery = DispatchQueue(label: "dipd-notifications")
    private let state = Mutex<(stopped: Bool, connection: PostgresConnection?)>((false, nil))

    init(store: PostgresJobStore, channels: [String: @Sendable (String) -> Void], reconnected: @escaping @Sendable () -> Void) {
        self.store = store
        self.channels = channels
        self.reconnected = reconnected
    }

    func start() {
        let thread = Thread { [self] in loop() }
        thread.name = "dipd-listener"
        thread.start()
    }

    func stop() {
        let connection = state.withLock { s in
            s.stopped = true
            return s.connection
        }
        try? connection?.close().wait()
    }

    private var stopped: Bool { state.withLock { $0.stopped } }

    private func loop() {
        var failures = 0
        while !stopped, let store {
            do {
                let connection = try store.connect()
                for (channel, handler) in channels {
                    connection.addListener(channel: channel) { [delivery] _, message in
                        let payload = message.payload
                        delivery.async { handler(payload) }
                    }
                    _ = try connection.query(PostgresQuery(unsafeSQL: "LISTEN \(channel)"), logger: store.logger).wait()
                }
                let keep = state.withLock { s in
                    if s.stopped { return false }
                    s.connection = connection
                    return true
                }
                guard keep else { try? connection.close().wait(); return }
                if failures > 0 { store.logger.info("listening to the database again") }
                failures = 0
                delivery.async(execute: reconnected)
                try? connection.closeFuture.wait()
                state.withLock { $0.connection = nil }
            } catch {
                if failures == 0 { store.logger.warning("cannot listen to the database (\(error)); trying again every \(store.listenerReconnectDelay)") }
                failures += 1
            }
            if !stopped {
                let delay = store.listenerReconnectDelay.components
                Thread.sleep(forTimeInterval: Double(delay.seconds) + Double(delay.attoseconds) * 1e-18)
            }
        }
    }
}
