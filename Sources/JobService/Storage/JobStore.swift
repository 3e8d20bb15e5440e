/// Where jobs live: each job's record and its files (the uploaded inputs, snapshots,
/// the result, the fit's checkpoint). The scheduler holds the jobs' state and
/// writes every change through; a store only keeps what it is given, and is read back
/// whole at start. `FileJobStore` is the embedded default; `InMemoryJobStore` serves tests.
protocol JobStore: Sendable {
    /// Where the jobs are kept, for the logs.
    var location: String { get }

    /// Stores a new job whole (its inputs, then its record), or nothing when it throws.
    func create(_ record: JobRecord, inputs: [(file: String, bytes: [UInt8])]) throws
    /// Replaces a job's record.
    func save(_ record: JobRecord) throws
    /// Every readable stored job, in no particular order.
    func loadAll() -> [JobRecord]
    /// Removes a job and all of its files.
    func delete(_ id: JobID)

    /// One of the job's uploaded inputs, by the file name in its record.
    func read(_ id: JobID, file: String) throws -> [UInt8]
    func writeSnapshot(_ id: JobID, iteration: Int, png: [UInt8]) throws
    func readSnapshot(_ id: JobID, iteration: Int) throws -> [UInt8]
    func writeResult(_ id: JobID, png: [UInt8]) throws
    func readResult(_ id: JobID) throws -> [UInt8]
    /// Removes the result and the snapshots past `iteration` (every one with 0).
    func clearSnapshots(_ id: JobID, after iteration: Int)

    /// Saves the fit's state at `iteration` beside the job's other checkpoints: the one the
    /// record names stays until the record names the new one, so that a crash between the
    /// two writes leaves a record and a checkpoint that agree.
    func writeCheckpoint(_ id: JobID, iteration: Int, _ bytes: [UInt8]) throws
    /// The fit's state saved at `iteration`, or nil when there is none.
    func readCheckpoint(_ id: JobID, iteration: Int) -> [UInt8]?
    /// Removes the job's checkpoints but the one at `keeping` (every one with nil).
    func removeCheckpoints(_ id: JobID, keeping: Int?)
}

/// The store cannot be reached now (a database that is down or restarting); the same
/// call may succeed later. Requests are answered 503, workers wait and try again.
struct JobStoreUnavailable: Error, CustomStringConvertible {
    var description: String
}

/// The store has no room for what was to be written (a full disk or quota, a full database
/// volume); nothing half-written was kept. Submissions are answered 507, a running fit keeps
/// its last snapshot and checkpoint and writes again later.
struct JobStoreFull: Error, CustomStringConvertible {
    var description: String
}

extension JobStore {
    func clearSnapshots(_ id: JobID) { clearSnapshots(id, after: 0) }
}

/// Checkpoint files are named by their iteration. `checkpoint.bin`, an earlier version's
/// single file, is still read (its own iteration is checked against the record's) and removed.
enum CheckpointFile {
    static let legacy = "checkpoint.bin"
    static func name(_ iteration: Int) -> String { "checkpoint-\(iteration).bin" }
    /// The iteration a checkpoint file's name says, nil for other files.
    static func iteration(_ name: String) -> Int? {
        guard name.hasPrefix("checkpoint-"), name.hasSuffix(".bin") else { return nil }
        return Int(name.dropFirst("checkpoint-".count).dropLast(".bin".count))
    }
    static func isCheckpoint(_ name: String) -> Bool { name == legacy || iteration(name) != nil }
}
