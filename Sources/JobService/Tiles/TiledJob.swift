import Foundation
import Tiling

/// A job whose image is fitted in tiles. Its record (the parent) holds the layout and the
/// jobs that fit the tiles; each tile is a job of its own in the queue (a tile job), so
/// every worker of every service takes the next tile, and leases, checkpoints, resume,
/// cancel and delete work per tile as they do per job. The parent is never queued nor
/// run: it is `running` from its submission until its tiles have ended, when their
/// results are blended into its own (`TileAssembler`).
public struct TilingInfo: Codable, Sendable, Equatable {
    public var layout: TileLayout
    /// Output pixels per input pixel: super-resolution's factor, else 1.
    public var scale: Int
    /// Per tile of `layout`: the job that fits it, or nil where the tile is copied from the
    /// input (an inpainting tile without a hole).
    public var jobs: [JobID?]
}

/// A tile job's place: the tiled job it belongs to and its tile's index in the layout.
public struct TileOf: Codable, Sendable, Equatable {
    public var parent: JobID
    public var index: Int
}

extension JobRecord {
    public var isTiled: Bool { tiling != nil }
    public var isTile: Bool { tileOf != nil }
}
