import Foundation
import Logging

/// The embedded default storage: one directory per job under `<data>/jobs/`, holding
/// `job.json`, the uploaded inputs, `snapshots/<iteration>.png` and `result.png`.
/// A job directory appears whole (it is staged and renamed into place) and every
/// file in it is replaced atomically, so a crash or `kill -9` leaves each job either
/// absent (never acknowledged) or complete.
final class FileJobStore: JobStore {
    let root: String
    var location: String { root }
    var jobsDirectory: String { root + "/jobs" }
    private let logger: Logger

    init(root: String, logger: Logger) throws {
        self.root = root
        self.logger = logger
        try DurableFiles.makeDirectories(root + "/jobs")
        // An existing folder may still be read-only for this user: find out now, not at the first upload.
        let probe = "\(root)/jobs/.write-test-\(getpid())"
        try DurableFiles.makeDirectory(probe)
        DurableFiles.removeTree(probe)
    }

    func directory(_ id: JobID) -> String { "\(jobsDirectory)/\(id.rawValue)" }

    /// Writes the inputs and the record, then makes the job visible in one rename.
    func create(_ record: JobRecord, inputs: [(file: String, bytes: [UInt8])]) throws {
        let staging = "\(jobsDirectory)/.staging-\(record.id.rawValue)"
        DurableFiles.removeTree(staging)
        try DurableFiles.reportingFull { try DurableFiles.makeDirectory(staging) }
        do { try DurableFiles.reportingFull {
            try DurableFiles.makeDirectory(staging + "/snapshots")
            for (file, bytes) in inputs { try DurableFiles.writeNew(bytes, to: "\(staging)/\(file)") }
            try DurableFiles.writeNew(try encode(record), to: staging + "/job.json")
            try DurableFiles.syncDirectory(staging)
            try DurableFiles.renameDurably(staging, directory(record.id))
        } } catch {
            DurableFiles.removeTree(staging)
            throw error
        }
    }

    func save(_ record: JobRecord) throws {
        let bytes = try encode(record)
        try DurableFiles.reportingFull { try DurableFiles.write(bytes, to: directory(record.id) + "/job.json") }
    }

    func writeSnapshot(_ id: JobID, iteration: Int, png: [UInt8]) throws {
        try DurableFiles.reportingFull { try DurableFiles.write(png, to: snapshotPath(id, iteration)) }
    }

    func writeResult(_ id: JobID, png: [UInt8]) throws {
        try DurableFiles.reportingFull { try DurableFiles.write(png, to: directory(id) + "/result.png") }
    }

    func snapshotPath(_ id: JobID, _ iteration: Int) -> String { "\(directory(id))/snapshots/\(iteration).png" }

    func readSnapshot(_ id: JobID, iteration: Int) throws -> [UInt8] { try DurableFiles.read(snapshotPath(id, iteration)) }
    func readResult(_ id: JobID) throws -> [UInt8] { try DurableFiles.read(directory(id) + "/result.png") }

    func read(_ id: JobID, file: String) throws -> [UInt8] {
        try DurableFiles.read("\(directory(id))/\(file)")
    }

    /// Snapshots of an interrupted run past `iteration` are dropped (all of them without a
    /// checkpoint): the next run makes them again.
    func clearSnapshots(_ id: JobID, after iteration: Int) {
        let dir = directory(id) + "/snapshots"
        for name in DurableFiles.list(dir) {
            if let n = Int(name.split(separator: ".").first ?? ""), n <= iteration, name == "\(n).png" { continue }
            DurableFiles.removeTree(dir + "/" + name)
        }
        DurableFiles.removeTree(directory(id) + "/result.png")
    }

    /// The fit's saved state at an iteration, written atomically under a name of its own.
    func writeCheckpoint(_ id: JobID, iteration: Int, _ bytes: [UInt8]) throws {
        try DurableFiles.reportingFull { try DurableFiles.write(bytes, to: directory(id) + "/" + CheckpointFile.name(iteration)) }
    }

    func readCheckpoint(_ id: JobID, iteration: Int) -> [UInt8]? {
        (try? DurableFiles.read(directory(id) + "/" + CheckpointFile.name(iteration)))
            ?? (try? DurableFiles.read(directory(id) + "/" + CheckpointFile.legacy))
    }

    func removeCheckpoints(_ id: JobID, keeping: Int?) {
        for name in DurableFiles.list(directory(id)) where CheckpointFile.isCheckpoint(name) {
            if let keeping, CheckpointFile.iteration(name) == keeping { continue }
            DurableFiles.removeTree(directory(id) + "/" + name)
        }
    }

    /// Hides the job at once (a rename), then removes its files.
    func delete(_ id: JobID) {
        let trash = "\(jobsDirectory)/.trash-\(id.rawValue)-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try DurableFiles.renameDurably(directory(id), trash)
        } catch {
            logger.warning("could not remove job \(id): \(error)")
            return
        }
        DurableFiles.removeTree(trash)
    }

    /// Every stored job; leftovers of interrupted creations and deletions are cleaned up.
    func loadAll() -> [JobRecord] {
        var records: [JobRecord] = []
        for name in DurableFiles.list(jobsDirectory).sorted() {
            let path = "\(jobsDirectory)/\(name)"
            if name.hasPrefix(".staging-") || name.hasPrefix(".trash-") {
                DurableFiles.removeTree(path)
                continue
            }
            guard let id = JobID(name) else {
                logger.warning("ignoring \(path): not a job directory")
                continue
            }
            do {
                let record = try JSONDecoder.service().decode(JobRecord.self, from: .init(DurableFiles.read(path + "/job.json")))
                guard record.id == id else { throw DurableFiles.Failure(operation: "check", path: path, code: 0) }
                records.append(record)
            } catch {
                logger.error("job \(name) cannot be read, left as it is: \(error)")
            }
            for name in DurableFiles.list(path) where name.hasPrefix(".") { DurableFiles.removeTree(path + "/" + name) }
        }
        return records
    }

    private func encode(_ record: JobRecord) throws -> [UInt8] {
        Array(try JSONEncoder.service().encode(record))
    }
}
