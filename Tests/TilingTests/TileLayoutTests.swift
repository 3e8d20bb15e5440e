import Foundation
import Testing
@testable import Tiling

/// The grid: every pixel covered, tiles inside the image, at most 2 tiles per pixel and axis,
/// neighbours overlapping by at least the overlap asked for.
@Suite("Tile layout")
struct TileLayoutTests {
    /// Every property the blend relies on, checked on the tiles themselves.
    func expectValid(_ layout: TileLayout, width: Int, height: Int, tileSize: Int, overlap: Int,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        let name = "\(width)×\(height) tile \(tileSize) overlap \(overlap)"
        #expect(layout.width == width && layout.height == height, "\(name)", sourceLocation: sourceLocation)
        #expect(layout.tiles.count == layout.columns * layout.rows, "\(name)", sourceLocation: sourceLocation)
        var coverage = [UInt8](repeating: 0, count: width * height)
        for (k, t) in layout.tiles.enumerated() {
            #expect(t.index == k && t.row == k / layout.columns && t.column == k % layout.columns, "\(name): tile \(k)",
                    sourceLocation: sourceLocation)
            // Inside the image, and no side over the tile size.
            #expect(t.x >= 0 && t.y >= 0 && t.x + t.width <= width && t.y + t.height <= height, "\(name): tile \(k) leaves the image",
                    sourceLocation: sourceLocation)
            #expect(t.width >= 1 && t.height >= 1 && t.width <= tileSize && t.height <= tileSize, "\(name): tile \(k) is \(t.width)×\(t.height)",
                    sourceLocation: sourceLocation)
            for y in t.y..<min(height, t.y + t.height) {
                for x in t.x..<min(width, t.x + t.width) { coverage[y * width + x] += 1 }
            }
            // Neighbours to the right and below overlap by at least the overlap asked for.
            if t.column + 1 < layout.columns {
                let right = layout.tiles[k + 1]
                #expect(right.y == t.y && t.x + t.width - right.x >= overlap, "\(name): tiles \(k), \(k + 1)", sourceLocation: sourceLocation)
            }
            if t.row + 1 < layout.rows {
                let below = layout.tiles[k + layout.columns]
                #expect(below.x == t.x && t.y + t.height - below.y >= overlap, "\(name): tiles \(k), \(k + layout.columns)",
                        sourceLocation: sourceLocation)
            }
        }
        // Every pixel covered; no pixel in more than 2 tiles per axis (so in at most 4).
        #expect(coverage.allSatisfy { $0 >= 1 && $0 <= 4 }, "\(name): coverage \(Set(coverage).sorted())", sourceLocation: sourceLocation)
        for row in 0..<layout.rows {
            var perAxis = [UInt8](repeating: 0, count: width)
            for t in layout.tiles where t.row == row { for x in t.x..<t.x + t.width { perAxis[x] += 1 } }
            #expect(perAxis.allSatisfy { $0 == 1 || $0 == 2 }, "\(name): row \(row) x-coverage \(Set(perAxis).sorted())",
                    sourceLocation: sourceLocation)
        }
        for column in 0..<layout.columns {
            var perAxis = [UInt8](repeating: 0, count: height)
            for t in layout.tiles where t.column == column { for y in t.y..<t.y + t.height { perAxis[y] += 1 } }
            #expect(perAxis.allSatisfy { $0 == 1 || $0 == 2 }, "\(name): column \(column) y-coverage \(Set(perAxis).sorted())",
                    sourceLocation: sourceLocation)
        }
        #expect(layout.problem == nil, "\(name): \(layout.problem ?? "")", sourceLocation: sourceLocation)
    }

    @Test(arguments: [(1536, 1024, 512, 64), (513, 7, 512, 64), (1000, 1000, 256, 32), (1000, 600, 512, 64),
                      (512, 512, 512, 64), (300, 200, 512, 64), (4000, 3000, 512, 64), (1, 1, 512, 64)])
    func coversTheImageWithinTheRules(width: Int, height: Int, tileSize: Int, overlap: Int) {
        expectValid(TileLayout(width: width, height: height, tileSize: tileSize, overlap: overlap),
                    width: width, height: height, tileSize: tileSize, overlap: overlap)
    }

    @Test func aPhotoIsCutIntoEquallySpreadTilesOfTheTileSize() {
        let layout = TileLayout(width: 1536, height: 1024, tileSize: 512, overlap: 64)
        // ⌈(1536 − 64)/448⌉ = 4 columns, ⌈(1024 − 64)/448⌉ = 3 rows; starts spread from 0 to side − 512.
        #expect(layout.columns == 4 && layout.rows == 3 && layout.tiles.count == 12)
        #expect(columnSpans(layout).map(\.start) == [0, 341, 683, 1024])
        #expect(rowSpans(layout).map(\.start) == [0, 256, 512])
        #expect(layout.tiles.allSatisfy { $0.width == 512 && $0.height == 512 })
        #expect(layout.tiles[5] == Tile(index: 5, row: 1, column: 1, x: 341, y: 256, width: 512, height: 512))
    }

    @Test func oddSizes() {
        // One column of tiles overlapping all but a pixel; the short side is one tile of its own size.
        let thin = TileLayout(width: 513, height: 7, tileSize: 512, overlap: 64)
        #expect(thin.columns == 2 && thin.rows == 1)
        #expect(thin.tiles.map(\.x) == [0, 1] && thin.tiles.allSatisfy { $0.width == 512 && $0.height == 7 })
        let square = TileLayout(width: 1000, height: 1000, tileSize: 256, overlap: 32)
        #expect(square.columns == 5 && square.rows == 5 && columnSpans(square).map(\.start) == [0, 186, 372, 558, 744])
        #expect(square.tiles.allSatisfy { $0.width == 256 && $0.height == 256 })
        // At most the tile size: one tile, the image itself; not cut.
        for (w, h) in [(512, 512), (300, 20), (512, 1)] {
            let one = TileLayout(width: w, height: h, tileSize: 512, overlap: 64)
            #expect(one.tiles == [Tile(index: 0, row: 0, column: 0, x: 0, y: 0, width: w, height: h)])
            #expect(!TileLayout.needsTiling(width: w, height: h, tileSize: 512))
        }
        #expect(TileLayout.needsTiling(width: 513, height: 7, tileSize: 512) && TileLayout.needsTiling(width: 7, height: 513, tileSize: 512))
    }

    /// 1000 pixels in tiles of 512 overlapping by 64: 3 tiles of 512 would put pixels 488–511 in
    /// all three, 2 tiles would overlap by only 24, so the 3 tiles are shortened to 500.
    @Test func sidesJustUnderTwoTilesGetShorterTiles() {
        let layout = TileLayout(width: 1000, height: 600, tileSize: 512, overlap: 64)
        #expect(columnSpans(layout).map(\.start) == [0, 250, 500] && columnSpans(layout).allSatisfy { $0.length == 500 })
        #expect(rowSpans(layout).map(\.start) == [0, 88] && rowSpans(layout).allSatisfy { $0.length == 512 })
    }

    /// Every side from 1 to 7 tiles long, for tile sizes small and large and every overlap up to
    /// the largest kept: per axis, tiles of one length ≤ tileSize that span the side, neighbours
    /// overlapping by ≥ overlap, no pixel in 3 tiles; and tiles shorter than the tile size only
    /// where tiles of the tile size would break the 2-tile rule.
    @Test func everySideKeepsTheRules() {
        var failures: [String] = []
        for tileSize in [1, 2, 3, 4, 5, 8, 13, 32, 64, 100, 512] {
            let overlaps = tileSize > 64 ? Array(stride(from: 0, through: tileSize / 3, by: 7)) + [tileSize / 3] : Array(0...tileSize / 3)
            for overlap in overlaps {
                for side in 1...(7 * tileSize) {
                    let layout = TileLayout(width: side, height: 1, tileSize: tileSize, overlap: overlap)
                    if let why = Self.axisFailure(columnSpans(layout), side: side, tileSize: tileSize, overlap: overlap) {
                        failures.append("side \(side) tile \(tileSize) overlap \(overlap): \(why)")
                    }
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) failures: \(failures.prefix(10))")
    }

    static func axisFailure(_ spans: [(start: Int, length: Int)], side: Int, tileSize: Int, overlap: Int) -> String? {
        let length = spans[0].length
        guard spans.allSatisfy({ $0.length == length }), length <= tileSize else { return "lengths \(spans.map(\.length))" }
        guard spans[0].start == 0, spans[spans.count - 1].start + length == side else { return "does not span the side" }
        for i in spans.indices.dropLast() {
            guard spans[i + 1].start > spans[i].start, spans[i].start + length - spans[i + 1].start >= overlap else {
                return "tiles \(i), \(i + 1) overlap too little"
            }
            if i + 2 < spans.count, spans[i + 2].start < spans[i].start + length { return "pixels of tile \(i) in 3 tiles" }
        }
        if side <= tileSize { return spans.count == 1 && length == side ? nil : "cut a side within the tile size" }
        let n = (side - overlap + tileSize - overlap - 1) / (tileSize - overlap)
        guard spans.count == n else { return "\(spans.count) tiles, not \(n)" }
        if length < tileSize {
            let full = TileLayout.spread(n, last: side - tileSize)
            guard (0..<max(0, n - 2)).contains(where: { full[$0 + 2] < full[$0] + tileSize }) else { return "shortened needlessly to \(length)" }
            guard 6 * length >= 5 * tileSize - 6 else { return "shortened to \(length)" }
        }
        return nil
    }

    @Test func clampsWhatItCannotUse() {
        let wide = TileLayout(width: 2000, height: 100, tileSize: 512, overlap: 400)
        #expect(wide.overlap == 170 && TileLayout.largestOverlap(tileSize: 512) == 170)
        expectValid(wide, width: 2000, height: 100, tileSize: 512, overlap: 170)
        #expect(TileLayout(width: 2000, height: 100, tileSize: 512, overlap: -5).overlap == 0)
        let tiny = TileLayout(width: 3, height: 2, tileSize: 0, overlap: 9)
        #expect(tiny.tileSize == 1 && tiny.overlap == 0 && tiny.tiles.count == 6)
        expectValid(tiny, width: 3, height: 2, tileSize: 1, overlap: 0)
        for (w, h) in [(0, 10), (10, 0), (-4, 10)] {
            let empty = TileLayout(width: w, height: h, tileSize: 512, overlap: 64)
            #expect(empty.tiles.isEmpty && empty.width == max(0, w) && empty.problem == nil)
        }
    }

    @Test func roundTripsThroughJSON() throws {
        let layout = TileLayout(width: 1536, height: 1024, tileSize: 512, overlap: 64)
        let decoded = try JSONDecoder().decode(TileLayout.self, from: JSONEncoder().encode(layout))
        #expect(decoded == layout && decoded.problem == nil)
    }
}
