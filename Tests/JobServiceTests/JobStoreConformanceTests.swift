import Foundation
import Logging
import Testing
@testable import JobService

/// What every store must do, the same for each: the in-memory one, the file store and
/// PostgreSQL (a server of the test's own).
@Suite("job stores", .serialized)
struct JobStoreConformanceTests {
    static func exercise(_ store: any JobStore) throws {
        let id = JobID.random(), other = JobID.random()
        var r = FileJobStoreTests.record(id)
        try store.create(r, inputs: [("image.png", [1, 2, 3]), ("mask.png", [4])])
        try store.create(FileJobStoreTests.record(other, sequence: 2), inputs: [])
        r.state = .running; r.attempts = 1; r.checkpoint = .init(iteration: 7, savedAt: Date(timeIntervalSince1970: 1_700_000_100))
        try store.save(r)
        #expect(store.loadAll().sorted { $0.sequence < $1.sequence } == [r, FileJobStoreTests.record(other, sequence: 2)])
        #expect(try store.read(id, file: "image.png") == [1, 2, 3] && store.read(id, file: "mask.png") == [4])
        #expect(throws: (any Error).self) { try store.read(id, file: "guide.png") }

        for i in [5, 10, 15] { try store.writeSnapshot(id, iteration: i, png: [UInt8(i)]) }
        try store.writeSnapshot(id, iteration: 10, png: [99])     // replaced
        try store.writeResult(id, png: [42])
        #expect(try store.readSnapshot(id, iteration: 10) == [99] && store.readResult(id) == [42])
        store.clearSnapshots(id, after: 10)
        #expect(try store.readSnapshot(id, iteration: 5) == [5] && store.readSnapshot(id, iteration: 10) == [99])
        #expect(throws: (any Error).self) { try store.readSnapshot(id, iteration: 15) }
        #expect(throws: (any Error).self) { try store.readResult(id) }

        #expect(store.readCheckpoint(id, iteration: 40) == nil)
        let big = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try store.writeCheckpoint(id, iteration: 40, big)
        try store.writeCheckpoint(id, iteration: 40, big + [1])     // replaced
        try store.writeCheckpoint(id, iteration: 60, [6])           // kept beside it
        #expect(store.readCheckpoint(id, iteration: 40) == big + [1] && store.readCheckpoint(id, iteration: 60) == [6])
        store.removeCheckpoints(id, keeping: 60)
        #expect(store.readCheckpoint(id, iteration: 40) == nil && store.readCheckpoint(id, iteration: 60) == [6])
        store.removeCheckpoints(id, keeping: nil)
        #expect(store.readCheckpoint(id, iteration: 60) == nil)

        store.delete(id)
        #expect(store.loadAll().map(\.id) == [other])
        #expect(throws: (any Error).self) { try store.read(id, file: "image.png") }
        #expect(throws: (any Error).self) { try store.writeSnapshot(id, iteration: 1, png: [1]) } // no such job
    }

    @Test func inMemory() throws { try Self.exercise(InMemoryJobStore()) }

    @Test func files() throws {
        try Self.exercise(try FileJobStore(root: try temporaryDirectory("dipd-store").path, logger: Logger(label: "test")))
    }

    @Test func postgres() throws {
        let server = try TemporaryPostgres()
        defer { server.stop() }
        try Self.exercise(try PostgresJobStore(url: server.url, logger: Logger(label: "test")))
        // A second service on the same database finds the schema in place, and the jobs.
        let again = try PostgresJobStore(url: server.url, logger: Logger(label: "test"))
        #expect(again.loadAll().count == 1)
        #expect(again.location == "postgres://postgres@127.0.0.1:\(server.port)/postgres")
    }

    /// A database a version-1 dipd made (one service, records and files only) is brought to
    /// version 2 at start, and its jobs join the shared queue in their order.
    @Test func aVersion1DatabaseIsMigrated() throws {
        let server = try TemporaryPostgres()
        defer { server.stop() }
        let first = JobID.random(), second = JobID.random()
        func json(_ r: JobRecord) throws -> String { String(decoding: try JSONEncoder.service().encode(r), as: UTF8.self) }
        let rows = [(first, 3), (second, 7)].map { id, n in
            "('\(id)', \(n), '\((try? json(FileJobStoreTests.record(id, sequence: UInt64(n)))) ?? "")'::jsonb)"
        }
        try TemporaryPostgres.run(TemporaryPostgres.bin + "/psql", ["-h", "127.0.0.1", "-p", "\(server.port)", "-U", "postgres",
                                                                     "-v", "ON_ERROR_STOP=1", "-c", """
            CREATE TABLE dipd_schema (version integer NOT NULL); INSERT INTO dipd_schema VALUES (1);
            CREATE TABLE dipd_jobs (id text PRIMARY KEY, sequence bigint NOT NULL, record jsonb NOT NULL);
            CREATE TABLE dipd_files (job_id text NOT NULL REFERENCES dipd_jobs (id) ON DELETE CASCADE, name text NOT NULL,
              bytes bytea NOT NULL, PRIMARY KEY (job_id, name));
            INSERT INTO dipd_jobs VALUES \(rows.joined(separator: ", "));
            """])
        let store = try PostgresJobStore(url: server.url, owner: "a", logger: Logger(label: "test"))
        #expect(try store.run("SELECT max(version) FROM dipd_schema").rows.first?.decode(Int.self) == PostgresJobStore.schemaVersion)
        #expect(try store.find(second)?.queuePosition == 2)
        #expect(try store.nextSequence() == 8)
        let claimed = try #require(try store.claim(leaseSeconds: 30))
        // The record comes back as stored; the queue holds the job as running under a's lease.
        #expect(claimed.record.id == first && claimed.record.state == .queued && !claimed.takenOver)
        #expect(try store.countByState() == [.running: 1, .queued: 1])
        #expect(try store.leases().map(\.owner) == ["a"])
    }

    @Test func postgresURLsAreCheckedAndPasswordsNotShown() throws {
        #expect(throws: PostgresJobStore.Failure.self) { try PostgresJobStore.parse("mysql://u@h/db") }
        #expect(throws: PostgresJobStore.Failure.self) { try PostgresJobStore.parse("postgres://h/db") }
        let p = try PostgresJobStore.parse("postgresql://dip:s3cret@db.internal:6543/jobs")
        #expect(p.location == "postgres://dip@db.internal:6543/jobs" && !p.location.contains("s3cret"))
    }
}
