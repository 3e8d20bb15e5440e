import Synchronization

/// A store in memory, for tests of the job state machine: what a `FileJobStore` would
/// hold, kept in dictionaries. `failWrites` makes every write throw, as a full disk would.
final class InMemoryJobStore: JobStore {
    private struct Job {
        var record: JobRecord
        var inputs: [String: [UInt8]]
        var snapshots: [Int: [UInt8]] = [:]
        var result: [UInt8]?
        var checkpoints: [Int: [UInt8]] = [:]
    }

    struct Failure: Error {}

    private let jobs = Mutex<[JobID: Job]>([:])
    private let failing = Atomic<Bool>(false)
    var location: String { "memory" }

    /// Every write throws while this is set.
    var failWrites: Bool {
        get { failing.load(ordering: .relaxed) }
        set { failing.store(newValue, ordering: .relaxed) }
    }

    private func checkWritable() throws {
        if failWrites { throw Failure() }
    }

    /// Changes a stored job; throws when there is none (its files were removed with it).
    private func update(_ id: JobID, _ change: (inout Job) -> Void) throws {
        try checkWritable()
        try jobs.withLock { all in
            guard var job = all[id] else { throw Failure() }
            change(&job)
            all[id] = job
        }
    }

    func create(_ record: JobRecord, inputs: [(file: String, bytes: [UInt8])]) throws {
        try checkWritable()
        jobs.withLock { $0[record.id] = Job(record: record, inputs: Dictionary(inputs, uniquingKeysWith: { $1 })) }
    }

    func save(_ record: JobRecord) throws {
        try update(record.id) { $0.record = record }
    }

    func loadAll() -> [JobRecord] { jobs.withLock { $0.values.map(\.record) } }
    func delete(_ id: JobID) { jobs.withLock { _ = $0.removeValue(forKey: id) } }

    /// The stored record, as a restarted service would read it.
    func record(_ id: JobID) -> JobRecord? { jobs.withLock { $0[id]?.record } }
    /// Iterations of the stored snapshots.
    func snapshotIterations(_ id: JobID) -> [Int] { jobs.withLock { ($0[id]?.snapshots.keys).map { $0.sorted() } ?? [] } }

    func read(_ id: JobID, file: String) throws -> [UInt8] {
        guard let bytes = jobs.withLock({ $0[id]?.inputs[file] }) else { throw Failure() }
        return bytes
    }

    func writeSnapshot(_ id: JobID, iteration: Int, png: [UInt8]) throws {
        try update(id) { $0.snapshots[iteration] = png }
    }

    func readSnapshot(_ id: JobID, iteration: Int) throws -> [UInt8] {
        guard let bytes = jobs.withLock({ $0[id]?.snapshots[iteration] }) else { throw Failure() }
        return bytes
    }

    func writeResult(_ id: JobID, png: [UInt8]) throws {
        try update(id) { $0.result = png }
    }

    func readResult(_ id: JobID) throws -> [UInt8] {
        guard let bytes = jobs.withLock({ $0[id]?.result }) else { throw Failure() }
        return bytes
    }

    func clearSnapshots(_ id: JobID, after iteration: Int) {
        jobs.withLock { all in
            guard var job = all[id] else { return }
            job.snapshots = job.snapshots.filter { $0.key <= iteration }
            job.result = nil
            all[id] = job
        }
    }

    func writeCheckpoint(_ id: JobID, iteration: Int, _ bytes: [UInt8]) throws {
        try update(id) { $0.checkpoints[iteration] = bytes }
    }

    func readCheckpoint(_ id: JobID, iteration: Int) -> [UInt8]? { jobs.withLock { $0[id]?.checkpoints[iteration] } }

    func removeCheckpoints(_ id: JobID, keeping: Int?) {
        jobs.withLock { all in
            guard let kept = all[id]?.checkpoints.filter({ $0.key == keeping }) else { return }
            all[id]?.checkpoints = kept
        }
    }

    /// Iterations of the stored checkpoints.
    func checkpointIterations(_ id: JobID) -> [Int] { jobs.withLock { ($0[id]?.checkpoints.keys).map { $0.sorted() } ?? [] } }
}
