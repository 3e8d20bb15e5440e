import DIPEngine
import Foundation
import ImageCodec
import Logging
import Testing
import Tiling
@testable import JobService

/// Tiled jobs over the local scheduler on an in-memory store, without fits: the tiled job
/// is settled from its tile jobs' ends (blended, failed, canceled), it alone is shown, and the
/// retention sweep takes its tile jobs with it.
@Suite("tiled scheduler")
struct TiledSchedulerTests {
    /// A 6×4 image cut into two 4×4 tiles (overlap 2).
    static let layout = TileLayout(width: 6, height: 4, tileSize: 4, overlap: 2)

    static func png(_ width: Int, _ height: Int, value: Float) throws -> [UInt8] {
        try ImageCodec.encodePNG(Image(width: width, height: height, channels: 3, samples: [Float](repeating: value, count: width * height * 3)))
    }

    static func scheduler() -> (TiledScheduler, InMemoryJobStore) {
        let store = InMemoryJobStore()
        let inner = LocalScheduler(store: store, configuration: ServiceConfiguration(), metrics: ServiceMetrics(), logger: Logger(label: "test"))
        let tiled = TiledScheduler(inner, assembler: TileAssembler(store: store, decoder: InputDecoder(ServiceConfiguration().limits)))
        tiled.start()
        return (tiled, store)
    }

    /// Stores a tiled job of two tile jobs; returns its ID and theirs.
    static func submit(_ s: TiledScheduler) throws -> (JobID, [JobID]) {
        let parentID = JobID.random()
        var parent = FileJobStoreTests.record(parentID)
        parent.input = .init(width: 6, height: 4, channels: 3, hasAlpha: false, files: ["image": "image.png"])
        parent.state = .running
        let tiles = try layout.tiles.map { tile in
            var r = FileJobStoreTests.record(JobID.random())
            r.tileOf = TileOf(parent: parentID, index: tile.index)
            return TileSubmission(record: r, inputs: [("image.png", try png(4, 4, value: 0.5))])
        }
        parent.tiling = TilingInfo(layout: layout, scale: 1, jobs: tiles.map(\.record.id))
        _ = try s.submitTiled(idempotencyKey: nil, parent: parent, inputs: [("image.png", try png(6, 4, value: 0.5))], tiles: tiles)
        return (parentID, tiles.map(\.record.id))
    }

    /// Takes the next tile job and ends it with a result of one grey level.
    static func fit(_ s: TiledScheduler, value: Float) throws -> JobID {
        let (record, _) = try #require(s.takeNext(stopping: { false }))
        let png = try png(4, 4, value: value)
        try s.store.writeResult(record.id, png: png)
        s.finish(record.id, .finished(.iterations, .init(iterations: 10, etag: ETag.of(png), width: 4, height: 4)))
        return record.id
    }

    @Test func theTilesResultsAreBlendedWhenTheLastEnds() throws {
        let (s, store) = Self.scheduler()
        let (id, tiles) = try Self.submit(s)
        #expect(try s.list(state: nil, limit: 10, after: nil).jobs.map(\.record.id) == [id], "tile jobs are listed")
        #expect(s.counts().queued == 0 && s.counts().byState[.running] == 1, "tile jobs are counted as jobs")
        for tile in tiles { #expect(try s.job(tile) == nil, "a tile job is shown") }

        #expect(try Self.fit(s, value: 0.2) == tiles[0])
        var view = try #require(try s.job(id))
        #expect(view.record.state == .running && view.tiles?.count(.succeeded) == 1 && view.tiles?.count(.queued) == 1)
        #expect(view.record.progress.iteration == 10 && view.record.progress.total == 20)

        _ = try Self.fit(s, value: 0.8)
        view = try #require(try s.job(id))
        #expect(view.record.state == .succeeded && view.record.stopReason == "iterations")
        let result = try ImageCodec.decode(try store.readResult(id))
        #expect(result.width == 6 && result.height == 4)
        // Left of the overlap the first tile alone, right of it the second, a ramp between.
        let row = (0..<6).map { (result.samples[$0 * 3] * 255).rounded() }
        #expect(row.first == 51 && row.last == 204 && zip(row, row.dropFirst()).allSatisfy { $0 <= $1 }, "\(row)")

        // Retention takes the tiled job and its tile jobs together.
        #expect(s.sweep(finishedBefore: Date().addingTimeInterval(60)) == 3)
        #expect(store.loadAll().isEmpty)
    }

    @Test func aFailedTileFailsTheJobAndCancelsTheOthers() throws {
        let (s, _) = Self.scheduler()
        let (id, tiles) = try Self.submit(s)
        let (first, _) = try #require(s.takeNext(stopping: { false }))
        s.finish(first.id, .failed(JobError(code: "invalid_image", message: "broken")))
        let view = try #require(try s.job(id))
        #expect(view.record.state == .failed && view.record.error?.code == "invalid_image")
        #expect(view.record.error?.message.contains("tile 0") == true)
        let other = try #require(try s.inner.job(tiles[1]))
        #expect(other.record.state == .canceled)
    }

    @Test func aCancelEndsQueuedTilesAtOnce() throws {
        let (s, _) = Self.scheduler()
        let (id, _) = try Self.submit(s)
        #expect(try s.requestCancel(id) == false, "no tile was running: nothing to wait for")
        let view = try #require(try s.job(id))
        #expect(view.record.state == .canceled && view.record.result == nil && view.tiles?.count(.canceled) == 2)
        #expect(s.takeNext(stopping: { true }) == nil)
    }
}
