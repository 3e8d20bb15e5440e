import DIPTasks
import Foundation
import HTTPServer
import Synchronization

/// A job as the API shows it.
struct JobView: Encodable {
    var id: String
    var state: JobState
    var task: TaskKind
    var queuePosition: Int?
    var progress: Progress
    var stopReason: String?
    /// The iteration the result is from (auto stop's pick); null without one.
    var bestIteration: Int?
    var createdAt: Date
    var startedAt: Date?
    var finishedAt: Date?
    var attempts: Int
    /// The iteration of the fit's last saved state, which a restart goes on from.
    var checkpointIteration: Int?
    var input: Input
    var parameters: EffectiveParameters
    var error: JobError?
    /// A tiled job's tiles; null for a job fitted whole.
    var tiles: TileProgress?
    var links: Links

    struct Progress: Encodable {
        var iteration: Int, total: Int, fraction: Double
        var iterationsPerSecond: Double?, etaSeconds: Double?, loss: Double?, psnrInput: Double?

        /// Speed and ETA are shown only while the job runs.
        init(_ p: JobRecord.ProgressInfo, running: Bool) {
            iteration = p.iteration; total = p.total
            fraction = p.total > 0 ? Double(p.iteration) / Double(p.total) : 0
            let rate = running ? p.iterationsPerSecond : nil
            iterationsPerSecond = rate
            etaSeconds = rate.flatMap { $0 > 0 ? Double(p.total - p.iteration) / $0 : nil }
            loss = p.loss; psnrInput = p.psnrInput
        }

        /// The JSON of a `progress` event.
        static func json(_ p: JobRecord.ProgressInfo) -> String {
            (try? String(decoding: JSONEncoder.service().encode(Progress(p, running: true)), as: UTF8.self)) ?? "{}"
        }
    }

    /// One entry of the snapshots list, and the data of a `snapshot` event.
    static func snapshotJSON(_ info: JobRecord.SnapshotInfo, url: String) -> String {
        #"{"iteration":\#(info.iteration),"loss":\#(JSONNumber.text(info.loss)),"psnr_input":\#(JSONNumber.text(info.psnrInput)),"url":\#(JSONString.quoted(url))}"#
    }
    struct Input: Encodable { var width: Int, height: Int, channels: Int }
    struct Links: Encodable {
        var `self`: String, events: String, snapshots: String, cancel: String, result: String?
    }

    init(_ s: JobSnapshot, links: LinkBuilder) {
        let r = s.record
        id = r.id.rawValue; state = r.state; task = r.spec.task; queuePosition = s.queuePosition
        progress = Progress(r.progress, running: r.state == .running)
        stopReason = r.stopReason; bestIteration = r.result?.bestIteration; createdAt = r.createdAt; startedAt = r.startedAt; finishedAt = r.finishedAt
        attempts = r.attempts
        checkpointIteration = r.checkpoint?.iteration
        input = Input(width: r.input.width, height: r.input.height, channels: r.input.channels + (r.input.hasAlpha ? 1 : 0))
        parameters = r.parameters; error = r.error; tiles = s.tiles
        self.links = Links(self: links.job(r.id), events: links.events(r.id), snapshots: links.snapshots(r.id),
                           cancel: links.cancel(r.id), result: r.result != nil ? links.result(r.id) : nil)
    }

    // Absent optionals are written as null, so every documented field is always there.
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(id, forKey: .init("id")); try c.encode(state, forKey: .init("state")); try c.encode(task, forKey: .init("task"))
        try c.encode(queuePosition, forKey: .init("queue_position")); try c.encode(progress, forKey: .init("progress"))
        try c.encode(stopReason, forKey: .init("stop_reason")); try c.encode(bestIteration, forKey: .init("best_iteration"))
        try c.encode(createdAt, forKey: .init("created_at"))
        try c.encode(startedAt, forKey: .init("started_at")); try c.encode(finishedAt, forKey: .init("finished_at"))
        try c.encode(attempts, forKey: .init("attempts")); try c.encode(checkpointIteration, forKey: .init("checkpoint_iteration"))
        try c.encode(input, forKey: .init("input"))
        try c.encode(parameters, forKey: .init("parameters")); try c.encode(error, forKey: .init("error"))
        try c.encode(tiles, forKey: .init("tiles"))
        try c.encode(links, forKey: .init("links"))
    }

    struct Key: CodingKey {
        var stringValue: String
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    static func json(_ s: JobSnapshot, links: LinkBuilder) -> String {
        (try? String(decoding: JSONEncoder.service().encode(JobView(s, links: links)), as: UTF8.self)) ?? "{}"
    }
}

/// Rendered job JSON, reused until the job manager's revision moves on: status polls,
/// often thousands a second, mostly see an unchanged job.
final class JobViewCache: Sendable {
    private struct Entry { var revision: UInt64; var position: Int?; var json: String }
    private let entries = Mutex<[JobID: Entry]>([:])
    private let links: LinkBuilder
    private let capacity = 4096

    init(links: LinkBuilder) { self.links = links }

    func json(_ s: JobSnapshot) -> String {
        let id = s.record.id
        if let e = entries.withLock({ $0[id] }), e.revision == s.revision, e.position == s.queuePosition { return e.json }
        let json = JobView.json(s, links: links)
        entries.withLock {
            if $0.count >= capacity { $0.removeAll(keepingCapacity: true) }
            $0[id] = Entry(revision: s.revision, position: s.queuePosition, json: json)
        }
        return json
    }
}

extension JobView.Progress {
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JobView.Key.self)
        try c.encode(iteration, forKey: .init("iteration")); try c.encode(total, forKey: .init("total"))
        try c.encode(fraction, forKey: .init("fraction"))
        try c.encode(iterationsPerSecond, forKey: .init("iterations_per_second")); try c.encode(etaSeconds, forKey: .init("eta_seconds"))
        try c.encode(loss, forKey: .init("loss")); try c.encode(psnrInput, forKey: .init("psnr_input"))
    }
}

extension JobView.Links {
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JobView.Key.self)
        try c.encode(self.`self`, forKey: .init("self")); try c.encode(events, forKey: .init("events"))
        try c.encode(snapshots, forKey: .init("snapshots")); try c.encode(cancel, forKey: .init("cancel"))
        try c.encode(result, forKey: .init("result"))
    }
}

extension TileProgress: Encodable {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JobView.Key.self)
        try c.encode(tiles.count, forKey: .init("total")); try c.encode(fitted.count, forKey: .init("fitted"))
        try c.encode(count(.succeeded) + count(.failed) + count(.canceled), forKey: .init("done"))
        try c.encode(count(.running), forKey: .init("running")); try c.encode(count(.queued), forKey: .init("queued"))
        try c.encode(count(.copied), forKey: .init("copied"))
        try c.encode(columns, forKey: .init("columns")); try c.encode(rows, forKey: .init("rows"))
        try c.encode(tileSize, forKey: .init("tile_size")); try c.encode(overlap, forKey: .init("overlap"))
        try c.encode(scale, forKey: .init("scale")); try c.encode(tiles, forKey: .init("items"))
    }
}

extension TileProgress.Tile: Encodable {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JobView.Key.self)
        try c.encode(index, forKey: .init("index"))
        try c.encode(x, forKey: .init("x")); try c.encode(y, forKey: .init("y"))
        try c.encode(width, forKey: .init("width")); try c.encode(height, forKey: .init("height"))
        try c.encode(state, forKey: .init("state"))
        try c.encode(iteration, forKey: .init("iteration")); try c.encode(total, forKey: .init("total"))
        try c.encode(bestIteration, forKey: .init("best_iteration")); try c.encode(stopReason, forKey: .init("stop_reason"))
    }
}
