import Foundation
import Synchronization

/// A store that several services share, in memory: what `PostgresJobStore` keeps in its
/// tables (states, the queue, leases, cancel requests, events) in one `Database` value
/// that every service's store object opens under its own owner name. The shared
/// scheduler's logic — takeover after an expired lease, fenced writes, lost runs, cancels
/// reaching the holder — is tested on it without a database server. The clock is the
/// database's, and tests move it.
final class InMemorySharedJobStore: SharedJobStore {
    /// The tables, shared by every service's store.
    final class Database: Sendable {
        struct Row {
            var record: JobRecord
            /// The queue's view of the job (the record's state may lag while a run starts).
            var state: JobState
            var leaseOwner: String?
            var leaseExpires: Date?
            var cancelRequested = false
        }
        struct Lease: Equatable {
            var job: JobID, owner: String, started: Date, ended: Date?
        }
        struct Tables {
            var rows: [JobID: Row] = [:]
            var events: [(job: JobID, id: Int, kind: JobEventKind, data: String)] = []
            var nextEvent = 1
            var nextSequence: UInt64 = 1
            var leases: [Lease] = []
            var listeners: [String: Listener] = [:]
            var now = Date(timeIntervalSince1970: 1_000_000)
        }
        struct Listener {
            var queued: @Sendable () -> Void
            var cancel: @Sendable (JobID) -> Void
            var events: @Sendable (JobID) -> Void
            let queue: DispatchQueue
        }

        let tables = Mutex(Tables())
        /// The jobs' files, kept as a single service's store keeps them.
        let files = InMemoryJobStore()

        init() {}

        /// Moves the database's clock on (leases expire by it).
        func advance(by seconds: TimeInterval) { tables.withLock { $0.now += seconds } }

        /// Every lease ever taken, oldest first.
        var leases: [Lease] { tables.withLock { $0.leases } }

        func notify(_ pick: @escaping (Listener) -> (@Sendable () -> Void)?) {
            for l in tables.withLock({ Array($0.listeners.values) }) {
                if let call = pick(l) { l.queue.async(execute: call) }
            }
        }
    }

    let database: Database
    let owner: String
    var location: String { "shared memory (as \(owner))" }

    init(database: Database, owner: String) {
        self.database = database
        self.owner = owner
    }

    private var files: InMemoryJobStore { database.files }

    // MARK: JobStore

    func create(_ record: JobRecord, inputs: [(file: String, bytes: [UInt8])]) throws {
        try files.create(record, inputs: inputs)
        database.tables.withLock { t in
            t.rows[record.id] = Database.Row(record: record, state: record.state)
        }
    }

    func save(_ record: JobRecord) throws {
        try database.tables.withLock { t in
            guard t.rows[record.id] != nil else { throw LeaseLost(id: record.id) }
            t.rows[record.id]?.record = record
            t.rows[record.id]?.state = record.state
        }
    }

    func loadAll() -> [JobRecord] { database.tables.withLock { $0.rows.values.map(\.record) } }

    func delete(_ id: JobID) { _ = try? remove(id) }

    func read(_ id: JobID, file: String) throws -> [UInt8] { try files.read(id, file: file) }
    func writeSnapshot(_ id: JobID, iteration: Int, png: [UInt8]) throws { try files.writeSnapshot(id, iteration: iteration, png: png) }
    func readSnapshot(_ id: JobID, iteration: Int) throws -> [UInt8] { try files.readSnapshot(id, iteration: iteration) }
    func writeResult(_ id: JobID, png: [UInt8]) throws { try files.writeResult(id, png: png) }
    func readResult(_ id: JobID) throws -> [UInt8] { try files.readResult(id) }
    func clearSnapshots(_ id: JobID, after iteration: Int) { files.clearSnapshots(id, after: iteration) }
    func writeCheckpoint(_ id: JobID, iteration: Int, _ bytes: [UInt8]) throws {
        try files.writeCheckpoint(id, iteration: iteration, bytes)
    }
    func readCheckpoint(_ id: JobID, iteration: Int) -> [UInt8]? { files.readCheckpoint(id, iteration: iteration) }
    func removeCheckpoints(_ id: JobID, keeping: Int?) { files.removeCheckpoints(id, keeping: keeping) }

    // MARK: Queue and leases

    func nextSequence() throws -> UInt64 {
        database.tables.withLock { t in
            defer { t.nextSequence += 1 }
            return t.nextSequence
        }
    }

    func submit(_ record: JobRecord, inputs: [(file: String, bytes: [UInt8])]) throws {
        let duplicate = database.tables.withLock { t in
            record.idempotencyKey.map { key in t.rows.values.contains { $0.record.idempotencyKey == key } } ?? false
        }
        if duplicate { throw DuplicateIdempotencyKey() }
        try create(record, inputs: inputs)
        database.notify { $0.queued }
    }

    func claim(leaseSeconds: Int) throws -> (record: JobRecord, takenOver: Bool)? {
        database.tables.withLock { t in
            let now = t.now
            let pick = t.rows.values
                .filter { $0.state == .queued || ($0.state == .running && ($0.leaseExpires ?? now) < now) }
                .min { $0.record.sequence < $1.record.sequence }
            guard let row = pick else { return nil }
            let id = row.record.id
            let takenOver = row.state == .running
            for i in t.leases.indices where t.leases[i].job == id && t.leases[i].ended == nil {
                t.leases[i].ended = min(row.leaseExpires ?? now, now)
            }
            t.rows[id]?.state = .running
            t.rows[id]?.leaseOwner = owner
            t.rows[id]?.leaseExpires = now + TimeInterval(leaseSeconds)
            t.rows[id]?.cancelRequested = false
            t.leases.append(Database.Lease(job: id, owner: owner, started: now, ended: nil))
            return (row.record, takenOver)
        }
    }

    /// The row of a job this service holds the lease on, or `LeaseLost`.
    private func held(_ t: inout Database.Tables, _ id: JobID) throws -> Database.Row {
        guard let row = t.rows[id], row.leaseOwner == owner, row.state == .running else { throw LeaseLost(id: id) }
        return row
    }

    func hold(_ record: JobRecord, leaseSeconds: Int) throws -> Bool {
        try database.tables.withLock { t in
            let row = try held(&t, record.id)
            t.rows[record.id]?.record = record
            t.rows[record.id]?.leaseExpires = t.now + TimeInterval(leaseSeconds)
            return row.cancelRequested
        }
    }

    func release(_ record: JobRecord, reason: String) throws {
        try database.tables.withLock { t in
            _ = try held(&t, record.id)
            t.rows[record.id] = Database.Row(record: record, state: record.state)
            for i in t.leases.indices where t.leases[i].job == record.id && t.leases[i].owner == owner && t.leases[i].ended == nil {
                t.leases[i].ended = t.now
            }
        }
        if record.state == .queued { database.notify { $0.queued } }
    }

    func expireOwnLeases() throws -> Int {
        database.tables.withLock { t in
            var n = 0
            for (id, row) in t.rows where row.leaseOwner == owner && row.state == .running {
                t.rows[id]?.leaseExpires = t.now - 1
                n += 1
            }
            return n
        }
    }

    // MARK: Reading

    private static func position(_ t: Database.Tables, _ row: Database.Row) -> Int? {
        guard row.state == .queued else { return nil }
        return t.rows.values.filter { $0.state == .queued && $0.record.sequence <= row.record.sequence }.count
    }

    func find(_ id: JobID) throws -> (record: JobRecord, queuePosition: Int?)? {
        database.tables.withLock { t in t.rows[id].map { ($0.record, Self.position(t, $0)) } }
    }

    func find(idempotencyKey key: String) throws -> JobRecord? {
        database.tables.withLock { t in t.rows.values.first { $0.record.idempotencyKey == key }?.record }
    }

    func list(state: JobState?, limit: Int, before sequence: UInt64?) throws -> (jobs: [(record: JobRecord, queuePosition: Int?)], more: Bool) {
        database.tables.withLock { t in
            let rows = t.rows.values
                .filter { !$0.record.isTile && (state == nil || $0.state == state) }
                .filter { sequence == nil || $0.record.sequence < sequence! }
                .sorted { $0.record.sequence > $1.record.sequence }
            return (rows.prefix(limit).map { ($0.record, Self.position(t, $0)) }, rows.count > limit)
        }
    }

    func countByState() throws -> [JobState: Int] {
        database.tables.withLock { t in
            var counts: [JobState: Int] = [:]
            for row in t.rows.values where !row.record.isTile { counts[row.state, default: 0] += 1 }
            return counts
        }
    }

    func records(_ ids: [JobID]) throws -> [JobRecord] {
        database.tables.withLock { t in ids.compactMap { t.rows[$0]?.record } }
    }

    func replace(_ record: JobRecord, ifState state: JobState) throws -> Bool {
        database.tables.withLock { t in
            guard let row = t.rows[record.id], row.state == state, row.leaseOwner == nil else { return false }
            t.rows[record.id] = Database.Row(record: record, state: record.state)
            return true
        }
    }

    func requestCancel(_ id: JobID) throws -> Bool {
        let asked = database.tables.withLock { t in
            guard t.rows[id]?.state == .running else { return false }
            t.rows[id]?.cancelRequested = true
            return true
        }
        if asked { database.notify { l in { l.cancel(id) } } }
        return asked
    }

    func remove(_ id: JobID) throws -> Bool {
        let row = database.tables.withLock { t in
            let row = t.rows.removeValue(forKey: id)
            t.events.removeAll { $0.job == id }
            return row
        }
        guard let row else { return false }
        files.delete(id)
        if row.leaseOwner != nil { database.notify { l in { l.cancel(id) } } }
        database.notify { l in { l.events(id) } }
        return true
    }

    func removeFinished(before date: Date) throws -> Int {
        let ids = database.tables.withLock { t in
            // A tile job goes with its tiled job, not on its own.
            let expired = t.rows.values.filter { !$0.record.isTile && $0.state.isFinished && ($0.record.finishedAt.map { $0 < date } ?? false) }
            let gone = Set(expired.map(\.record.id))
            let tiles = t.rows.values.filter { row in row.record.tileOf.map { gone.contains($0.parent) || t.rows[$0.parent] == nil } ?? false }
            return (expired + tiles).map(\.record.id)
        }
        for id in ids { _ = try remove(id) }
        return ids.count
    }

    // MARK: Events

    func append(_ id: JobID, _ payload: JobEvent.Payload) throws {
        let (kind, data) = try payload.stored()
        let added = database.tables.withLock { t in
            guard t.rows[id] != nil else { return false }
            t.events.append((id, t.nextEvent, kind, data))
            t.nextEvent += 1
            return true
        }
        if added { database.notify { l in { l.events(id) } } }
    }

    func events(_ id: JobID, after: Int) throws -> [JobEvent] {
        let rows = database.tables.withLock { t in t.events.filter { $0.job == id && $0.id > after } }
        return try rows.map { JobEvent(id: $0.id, payload: try JobEvent.Payload(stored: $0.kind, data: $0.data, job: id)) }
    }

    func lastEventID(_ id: JobID) throws -> Int {
        database.tables.withLock { t in t.events.last { $0.job == id }?.id ?? 0 }
    }

    // MARK: Listening

    func listen(queued: @escaping @Sendable () -> Void, cancel: @escaping @Sendable (JobID) -> Void,
                events: @escaping @Sendable (JobID) -> Void) {
        let listener = Database.Listener(queued: queued, cancel: cancel, events: events,
                                         queue: DispatchQueue(label: "dipd-memory-notifications-\(owner)"))
        database.tables.withLock { $0.listeners[owner] = listener }
    }

    func stopListening() {
        _ = database.tables.withLock { $0.listeners.removeValue(forKey: owner) }
    }
}
