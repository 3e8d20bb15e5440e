import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// Jobs in PostgreSQL (`database_url`): each record as JSON (the encoding of the file
/// store's `job.json`) and every file of a job (inputs, snapshots, the result, the
/// checkpoint) as `bytea`, so that a service keeps nothing on its own disk. The schema is
/// created, or checked, at start under an advisory lock, with its version in
/// `dipd_schema`.
///
/// Several services share one database: the queue, the leases and the events are in
/// `PostgresJobQueue.swift`.
///
/// The store's methods are called from worker and request threads, never from an event
/// loop: each waits for its query on one connection, which is opened again if it was lost.
final class PostgresJobStore: SharedJobStore {
    static let schemaVersion = 3

    let location: String
    /// The service's name in the leases; the writes of a running job's files are fenced by
    /// its lease. Empty (a store used alone, in tests): no fence.
    let owner: String
    let configuration: PostgresConnection.Configuration
    let logger: Logger
    let listener = Mutex<PostgresListener?>(nil)
    /// How long the listening connection waits before it is opened again after a loss
    /// (`listener_reconnect_seconds`).
    let listenerReconnectDelay: Duration
    private let connection = Mutex<PostgresConnection?>(nil)
    private let connectionCount = Atomic<Int>(0)

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Connects, creates or checks the schema; throws with a one-line reason when it cannot.
    init(url: String, owner: String = "", listenerReconnectDelay: Duration = .seconds(1), logger: Logger) throws {
        self.logger = logger
        self.owner = owner
        self.listenerReconnectDelay = listenerReconnectDelay
        let parsed = try Self.parse(url)
        configuration = parsed.configuration
        location = parsed.location
        try migrate()
    }

    /// `postgres://user:password@host:port/database` (`postgresql://` too); no TLS.
    static func parse(_ url: String) throws -> (configuration: PostgresConnection.Configuration, location: String) {
        guard let c = URLComponents(string: url), ["postgres", "postgresql"].contains(c.scheme ?? ""),
              let host = c.host, !host.isEmpty, let user = c.user, !user.isEmpty else {
            throw Failure(description: "database_url must look like postgres://user:password@host:5432/database")
        }
        let database = String(c.path.drop { $0 == "/" })
        let port = c.port ?? 5432
        let configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: c.password,
            database: database.isEmpty ? user : database, tls: .disable)
        // The password is never logged.
        return (configuration, "postgres://\(user)@\(host):\(port)/\(database.isEmpty ? user : database)")
    }

    deinit {
        stopListening()
        connection.withLock { current in
            try? current?.close().wait()
            current = nil
        }
    }

    // MARK: Connection

    /// Runs `query` on the connection, opening it first if needed, once more on a fresh
    /// connection if the old one was closed under it.
    @discardableResult
    func run(_ query: PostgresQuery) throws -> PostgresQueryResult {
        try connection.withLock { current in
            for attempt in 0..<2 {
                let conn: PostgresConnection
                if let c = current, !c.isClosed {
                    conn = c
                } else {
                    do {
                        conn = try PostgresConnection.connect(
                            on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration,
                            id: connectionCount.wrappingAdd(1, ordering: .relaxed).newValue, logger: logger).wait()
                    } catch {
                        throw JobStoreUnavailable(description: "the database at \(location) cannot be reached (\(error))")
                    }
                    current = conn
                }
                do {
                    return try conn.query(query, logger: logger).wait()
                } catch let e as PSQLError where e.serverInfo?[.sqlState] == "53100" {
                    throw JobStoreFull(description: "the database at \(location) has no space left (\(e.serverInfo?[.message] ?? "disk full"))")
                } catch where conn.isClosed {
                    current = nil
                    if attempt == 1 { throw JobStoreUnavailable(description: "the connection to \(location) was lost (\(error))") }
                    logger.warning("the database connection was lost (\(error)); connecting again")
                }
            }
            throw JobStoreUnavailable(description: "the database at \(location) cannot be reached")
        }
    }

    /// A new connection of its own (for listening), on the store's configuration.
    func connect() throws -> PostgresConnection {
        do {
            return try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration,
                id: connectionCount.wrappingAdd(1, ordering: .relaxed).newValue, logger: logger).wait()
        } catch {
            throw JobStoreUnavailable(description: "the database at \(location) cannot be reached (\(error))")
        }
    }

    /// Creates the schema, or brings an older one up to date, under an advisory lock (so
    /// that services starting together do it once). Version 2 added the queue's columns,
    /// the leases and the events; version 3 the webhook deliveries.
    private func migrate() throws {
        try run("""
            DO $$ BEGIN
              PERFORM pg_advisory_xact_lock(7350416);
              CREATE TABLE IF NOT EXISTS dipd_schema (version integer NOT NULL);
              CREATE TABLE IF NOT EXISTS dipd_jobs (
                id text PRIMARY KEY,
                sequence bigint NOT NULL,
                record jsonb NOT NULL);
              CREATE TABLE IF NOT EXISTS dipd_files (
                job_id text NOT NULL REFERENCES dipd_jobs (id) ON DELETE CASCADE,
                name text NOT NULL,
                bytes bytea NOT NULL,
                PRIMARY KEY (job_id, name));
              IF NOT EXISTS (SELECT 1 FROM dipd_schema) THEN
                INSERT INTO dipd_schema VALUES (1);
              END IF;
              IF (SELECT max(version) FROM dipd_schema) = 1 THEN
                ALTER TABLE dipd_jobs
                  ADD COLUMN state text,
                  ADD COLUMN idempotency_key text,
                  ADD COLUMN lease_owner text,
                  ADD COLUMN lease_expires timestamptz,
                  ADD COLUMN cancel_requested boolean NOT NULL DEFAULT false;
                UPDATE dipd_jobs SET state = record->>'state', idempotency_key = record->>'idempotency_key';
                ALTER TABLE dipd_jobs ALTER COLUMN state SET NOT NULL;
                CREATE UNIQUE INDEX dipd_jobs_idempotency ON dipd_jobs (idempotency_key);
                CREATE INDEX dipd_jobs_state ON dipd_jobs (state, sequence);
                CREATE SEQUENCE dipd_job_sequence;
                PERFORM setval('dipd_job_sequence', coalesce((SELECT max(sequence) FROM dipd_jobs), 0) + 1, false);
                CREATE TABLE dipd_leases (
                  job_id text NOT NULL REFERENCES dipd_jobs (id) ON DELETE CASCADE,
                  attempt integer NOT NULL,
                  owner text NOT NULL,
                  started_at timestamptz NOT NULL,
                  expires_at timestamptz NOT NULL,
                  ended_at timestamptz,
                  end_reason text);
                CREATE INDEX dipd_leases_job ON dipd_leases (job_id);
                CREATE TABLE dipd_events (
                  id bigserial PRIMARY KEY,
                  job_id text NOT NULL REFERENCES dipd_jobs (id) ON DELETE CASCADE,
                  name text NOT NULL,
                  data text NOT NULL);
                CREATE INDEX dipd_events_job ON dipd_events (job_id, id);
                UPDATE dipd_schema SET version = 2;
              END IF;
              IF (SELECT max(version) FROM dipd_schema) = 2 THEN
                CREATE TABLE dipd_deliveries (
                  id text PRIMARY KEY,
                  job_id text NOT NULL REFERENCES dipd_jobs (id) ON DELETE CASCADE,
                  seq bigint NOT NULL,
                  state text NOT NULL,
                  next_attempt_at timestamptz NOT NULL,
                  lease_owner text,
                  lease_expires timestamptz,
                  delivery jsonb NOT NULL,
                  UNIQUE (job_id, seq));
                CREATE INDEX dipd_deliveries_pending ON dipd_deliveries (next_attempt_at) WHERE state = 'pending';
                UPDATE dipd_schema SET version = 3;
              END IF;
            END $$;
            """)
        let rows = try run("SELECT max(version) FROM dipd_schema").rows
        let version = try rows.first?.decode(Int?.self) ?? nil
        guard version == Self.schemaVersion else {
            throw Failure(description: "the database's dipd schema is version \(version.map(String.init) ?? "none"); this dipd knows version \(Self.schemaVersion)")
        }
    }

    // MARK: Records

    func json(_ record: JobRecord) throws -> String {
        String(decoding: try JSONEncoder.service().encode(record), as: UTF8.self)
    }

    func create(_ record: JobRecord, inputs: [(file: String, bytes: [UInt8])]) throws {
        // One statement: the job and its inputs appear together or not at all.
        var sql = """
            WITH job AS (INSERT INTO dipd_jobs (id, sequence, record, state, idempotency_key)
              VALUES ($1, $2, $3::jsonb, $4, $5) RETURNING id)
            """
        var binds = PostgresBindings()
        binds.append(record.id.rawValue)
        binds.append(Int64(record.sequence))
        binds.append(try json(record))
        binds.append(record.state.rawValue)
        binds.append(record.idempotencyKey)
        if inputs.isEmpty {
            sql += "SELECT id FROM job"
        } else {
            sql += "INSERT INTO dipd_files (job_id, name, bytes) SELECT job.id, f.name, f.bytes FROM job, (VALUES "
            sql += inputs.indices.map { "($\(6 + 2 * $0), $\(7 + 2 * $0)::bytea)" }.joined(separator: ", ")
            sql += ") AS f (name, bytes)"
            for (file, bytes) in inputs {
                binds.append(file)
                binds.append(ByteBuffer(bytes: bytes))
            }
        }
        try run(PostgresQuery(unsafeSQL: sql, binds: binds))
    }

    func save(_ record: JobRecord) throws {
        try run("UPDATE dipd_jobs SET record = \(try json(record))::jsonb, state = \(record.state.rawValue) WHERE id = \(record.id.rawValue)")
    }

    func loadAll() -> [JobRecord] {
        let rows: PostgresQueryResult
        do { rows = try run("SELECT id, record::text FROM dipd_jobs ORDER BY sequence") } catch {
            logger.error("jobs cannot be read from the database: \(error)")
            return []
        }
        var records: [JobRecord] = []
        for row in rows.rows {
            do {
                let (id, text) = try row.decode((String, String).self)
                let record = try JSONDecoder.service().decode(JobRecord.self, from: Data(text.utf8))
                guard record.id.rawValue == id else { throw Failure(description: "its record names job \(record.id)") }
                records.append(record)
            } catch {
                logger.error("a job cannot be read from the database, left as it is: \(error)")
            }
        }
        return records
    }

    func delete(_ id: JobID) {
        do { try run("DELETE FROM dipd_jobs WHERE id = \(id.rawValue)") } catch {
            logger.warning("could not remove job \(id): \(error)")
        }
    }

    // MARK: Files

    /// Writes a file of a running job, only while this service holds its lease. A tiled job
    /// has none: any service may write the result it blends from the tiles while it runs.
    private func write(_ id: JobID, _ name: String, _ bytes: [UInt8]) throws {
        let rows = try run("""
            INSERT INTO dipd_files (job_id, name, bytes)
            SELECT id, \(name), \(ByteBuffer(bytes: bytes)) FROM dipd_jobs
            WHERE id = \(id.rawValue) AND (\(owner) = '' OR lease_owner = \(owner)
              OR (lease_owner IS NULL AND state = 'running' AND record ? 'tiling'))
            ON CONFLICT (job_id, name) DO UPDATE SET bytes = excluded.bytes
            RETURNING 1
            """).rows
        if rows.isEmpty { throw LeaseLost(id: id) }
    }

    private func readFile(_ id: JobID, _ name: String) throws -> [UInt8]? {
        let rows = try run("SELECT bytes FROM dipd_files WHERE job_id = \(id.rawValue) AND name = \(name)").rows
        guard let row = rows.first else { return nil }
        var buffer = try row.decode(ByteBuffer.self)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    private func mustRead(_ id: JobID, _ name: String) throws -> [UInt8] {
        guard let bytes = try readFile(id, name) else { throw Failure(description: "job \(id) has no \(name)") }
        return bytes
    }

    private static func snapshotName(_ iteration: Int) -> String { "snapshots/\(iteration).png" }

    func read(_ id: JobID, file: String) throws -> [UInt8] { try mustRead(id, file) }
    func writeSnapshot(_ id: JobID, iteration: Int, png: [UInt8]) throws { try write(id, Self.snapshotName(iteration), png) }
    func readSnapshot(_ id: JobID, iteration: Int) throws -> [UInt8] { try mustRead(id, Self.snapshotName(iteration)) }
    func writeResult(_ id: JobID, png: [UInt8]) throws { try write(id, "result.png", png) }
    func readResult(_ id: JobID) throws -> [UInt8] { try mustRead(id, "result.png") }

    func clearSnapshots(_ id: JobID, after iteration: Int) {
        do {
            try run("""
                DELETE FROM dipd_files WHERE job_id = \(id.rawValue) AND (name = 'result.png' OR
                  (name LIKE 'snapshots/%' AND split_part(split_part(name, '/', 2), '.', 1)::bigint > \(Int64(iteration))))
                """)
        } catch {
            logger.warning("job \(id): its snapshots could not be cleared: \(error)")
        }
    }

    func writeCheckpoint(_ id: JobID, iteration: Int, _ bytes: [UInt8]) throws {
        try write(id, CheckpointFile.name(iteration), bytes)
    }

    func readCheckpoint(_ id: JobID, iteration: Int) -> [UInt8]? {
        do { return try readFile(id, CheckpointFile.name(iteration)) ?? readFile(id, CheckpointFile.legacy) } catch {
            logger.warning("job \(id): its checkpoint cannot be read: \(error)")
            return nil
        }
    }

    func removeCheckpoints(_ id: JobID, keeping: Int?) {
        let kept = keeping.map(CheckpointFile.name) ?? ""
        do {
            try run("""
                DELETE FROM dipd_files WHERE job_id = \(id.rawValue)
                  AND (name = 'checkpoint.bin' OR name LIKE 'checkpoint-%.bin') AND name <> \(kept)
                """)
        } catch {
            logger.warning("job \(id): its old checkpoints could not be removed: \(error)")
        }
    }
}
