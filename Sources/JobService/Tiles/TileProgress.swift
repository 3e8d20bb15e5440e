import Foundation

/// Where a tiled job's tiles are, as its view and its events show them: one entry per tile
/// and one progress for the whole job, made from the tile jobs' records.
public struct TileProgress: Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        case queued, running, succeeded, failed, canceled
        /// Taken from the input as it is (an inpainting tile without a hole).
        case copied
        /// Its job is gone (deleted, or lost with a submission that did not finish).
        case missing
    }

    public struct Tile: Sendable, Equatable {
        public var index: Int, x: Int, y: Int, width: Int, height: Int
        public var state: State
        public var iteration: Int, total: Int
        public var iterationsPerSecond: Double?
        public var bestIteration: Int?
        public var stopReason: String?
    }

    public var columns: Int, rows: Int, tileSize: Int, overlap: Int, scale: Int
    public var tiles: [Tile]

    public init(_ parent: JobRecord, tileJobs: [JobRecord]) {
        let tiling = parent.tiling!
        let layout = tiling.layout
        columns = layout.columns; rows = layout.rows; tileSize = layout.tileSize; overlap = layout.overlap; scale = tiling.scale
        let byID = Dictionary(tileJobs.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        tiles = layout.tiles.map { t in
            var tile = Tile(index: t.index, x: t.x, y: t.y, width: t.width, height: t.height, state: .copied,
                            iteration: 0, total: 0)
            guard let id = tiling.jobs[t.index] else { return tile }
            guard let job = byID[id] else { tile.state = .missing; return tile }
            tile.state = State(rawValue: job.state.rawValue) ?? .missing
            tile.iteration = job.progress.iteration
            tile.total = job.progress.total
            tile.iterationsPerSecond = job.state == .running ? job.progress.iterationsPerSecond : nil
            tile.bestIteration = job.result?.bestIteration
            tile.stopReason = job.stopReason
            return tile
        }
    }

    public func count(_ state: State) -> Int { tiles.count { $0.state == state } }
    /// Tiles that are fitted (not copied).
    public var fitted: [Tile] { tiles.filter { $0.state != .copied } }
    public var allEnded: Bool { tiles.allSatisfy { $0.state != .queued && $0.state != .running } }

    /// The whole job's progress: a tile that ended counts as complete (auto stop ends tiles
    /// early), the speed is that of every tile running now, on any service.
    public var progress: JobRecord.ProgressInfo {
        let fitted = self.fitted
        let total = fitted.reduce(0) { $0 + $1.total }
        let done = fitted.reduce(0) { $0 + ($1.state == .queued || $1.state == .running ? $1.iteration : $1.total) }
        let rates = fitted.compactMap(\.iterationsPerSecond)
        return .init(iteration: done, total: total, iterationsPerSecond: rates.isEmpty ? nil : rates.reduce(0, +))
    }

    /// The tiled job's stop reason: `canceled` when a tile was, else the reason every tile
    /// stopped for, else `auto_stop` when some tiles stopped early (each tile's is in the view).
    public var stopReason: String {
        let reasons = Set(fitted.compactMap(\.stopReason))
        if reasons.contains("canceled") { return "canceled" }
        if reasons.count == 1 { return reasons.first! }
        return reasons.contains("auto_stop") ? "auto_stop" : reasons.sorted().first ?? "iterations"
    }
}
