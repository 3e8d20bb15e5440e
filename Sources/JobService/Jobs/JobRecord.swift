import DIPTasks
import Foundation

public enum JobState: String, Codable, Sendable, CaseIterable {
    case queued, running, succeeded, failed, canceled
    public var isFinished: Bool { self == .succeeded || self == .failed || self == .canceled }
}

/// Everything known about a job, as persisted in its `job.json` and shown (with links)
/// by the API.
public struct JobRecord: Codable, Sendable, Equatable {
    public var id: JobID
    /// Submission order; breaks ties between equal timestamps.
    public var sequence: UInt64
    public var state: JobState
    public var spec: TaskSpec
    public var parameters: EffectiveParameters
    public var input: InputInfo
    public var idempotencyKey: String?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// Runs started; a restart that interrupted a run starts another.
    public var attempts: Int
    /// Runs lost to the process dying during them (nil: none). A drain is not a loss.
    public var lostRuns: Int?
    public var progress: ProgressInfo
    public var stopReason: String?
    public var error: JobError?
    public var snapshots: [SnapshotInfo]
    public var result: ResultInfo?
    /// The fit's last saved state (nil: none); removed when the job finishes.
    public var checkpoint: CheckpointInfo?
    /// A tiled job: its layout and tile jobs (nil: fitted whole).
    public var tiling: TilingInfo? = nil
    /// A tile job: the tiled job it belongs to (nil: a job of its own).
    public var tileOf: TileOf? = nil

    public struct InputInfo: Codable, Sendable, Equatable {
        public var width: Int, height: Int, channels: Int
        public var hasAlpha: Bool
        /// Bits a sample of the upload: 16 for a 16-bit PNG, whose snapshots and result are
        /// written at 16 bits too; nil (records before it was kept) and 8 otherwise.
        public var bitDepth: Int? = nil
        /// Stored input files by role: image, mask, guide.
        public var files: [String: String]
    }

    public struct ProgressInfo: Codable, Sendable, Equatable {
        public var iteration: Int
        public var total: Int
        public var iterationsPerSecond: Double?
        public var loss: Double?
        public var psnrInput: Double?
        public var seconds: Double?
    }

    public struct SnapshotInfo: Codable, Sendable, Equatable {
        public var iteration: Int
        public var loss: Double
        public var psnrInput: Double
        public var etag: String
    }

    public struct CheckpointInfo: Codable, Sendable, Equatable {
        public var iteration: Int
        public var savedAt: Date
    }

    public struct ResultInfo: Codable, Sendable, Equatable {
        public var iterations: Int
        /// With auto stop: the iteration the result image is from.
        public var bestIteration: Int? = nil
        public var etag: String
        public var width: Int, height: Int
    }
}

public struct JobError: Codable, Sendable, Equatable, Error {
    public var code: String
    public var message: String
    public init(code: String, message: String) { self.code = code; self.message = message }
}

extension JSONEncoder {
    /// The encoding of records on disk and in the API: snake_case keys, ISO 8601 dates with milliseconds.
    static func service() -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(ISO8601.format(date))
        }
        return e
    }
}

extension JSONDecoder {
    static func service() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        d.dateDecodingStrategy = .custom { decoder in
            let s = try decoder.singleValueContainer().decode(String.self)
            guard let date = ISO8601.parse(s) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad date \(s)"))
            }
            return date
        }
        return d
    }
}

enum ISO8601 {
    static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
    static func parse(_ s: String) -> Date? {
        try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(s)
    }
}
