import Foundation

/// The kinds of a job's Server-Sent Events: the one list of their names, which the API's
/// event stream, the shared store's event log and the web page all use.
public enum JobEventKind: String, Sendable, CaseIterable, Codable {
    /// The job as it is when a stream starts (or resumes past what is still kept).
    case status
    /// Its state changed.
    case state
    /// The fit reached an iteration (at most one every `progress_event_interval_ms`).
    case progress
    /// A snapshot was stored.
    case snapshot
    /// The job finished: the last event of its stream.
    case done
    /// The job was removed: the last event of its stream.
    case deleted

    /// After these, a job's stream ends.
    public var endsStream: Bool { self == .done || self == .deleted }
}

/// One event of a job, typed: JSON is made of it only at the API's edge (`JobEventView`).
/// `id` grows by one per event of the job.
public struct JobEvent: Sendable, Equatable {
    public enum Payload: Sendable, Equatable {
        case status(JobSnapshot)
        case state(JobSnapshot)
        case progress(JobRecord.ProgressInfo)
        case snapshot(JobRecord.SnapshotInfo)
        case done(JobSnapshot)
        case deleted(JobID)
    }

    public var id: Int
    public var payload: Payload

    public var kind: JobEventKind {
        switch payload {
        case .status: .status
        case .state: .state
        case .progress: .progress
        case .snapshot: .snapshot
        case .done: .done
        case .deleted: .deleted
        }
    }
}

/// A job as a request sees it: its record, its place in the queue, and its fit's speed.
public struct JobSnapshot: Sendable, Equatable {
    public var record: JobRecord
    public var queuePosition: Int?
    public var iterationsPerSecond: Double?
    /// Changes whenever the record may have: rendered views are cached by (job, revision).
    public var revision: UInt64 = 0
    /// A tiled job's tiles (nil: the job is fitted whole).
    public var tiles: TileProgress? = nil
}

extension JobEvent.Payload {
    /// The payload as the shared store keeps it (the record's own encoding, not the API's
    /// view, which needs the service's links), and back.
    func stored() throws -> (kind: JobEventKind, data: String) {
        let encoder = JSONEncoder.service()
        func text<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
        switch self {
        case .status(let s): return (.status, try text(StoredSnapshot(s)))
        case .state(let s): return (.state, try text(StoredSnapshot(s)))
        case .done(let s): return (.done, try text(StoredSnapshot(s)))
        case .progress(let p): return (.progress, try text(p))
        case .snapshot(let info): return (.snapshot, try text(info))
        case .deleted(let id): return (.deleted, try text(["id": id.rawValue]))
        }
    }

    init(stored kind: JobEventKind, data: String, job: JobID) throws {
        let decoder = JSONDecoder.service()
        let bytes = Data(data.utf8)
        switch kind {
        case .status: self = .status(try decoder.decode(StoredSnapshot.self, from: bytes).snapshot)
        case .state: self = .state(try decoder.decode(StoredSnapshot.self, from: bytes).snapshot)
        case .done: self = .done(try decoder.decode(StoredSnapshot.self, from: bytes).snapshot)
        case .progress: self = .progress(try decoder.decode(JobRecord.ProgressInfo.self, from: bytes))
        case .snapshot: self = .snapshot(try decoder.decode(JobRecord.SnapshotInfo.self, from: bytes))
        case .deleted: self = .deleted(job)
        }
    }
}

/// A snapshot in the shared store's event log.
private struct StoredSnapshot: Codable {
    var record: JobRecord
    var queuePosition: Int?
    init(_ s: JobSnapshot) { record = s.record; queuePosition = s.queuePosition }
    var snapshot: JobSnapshot { JobSnapshot(record: record, queuePosition: queuePosition, iterationsPerSecond: nil) }
}
