import Foundation
import Testing
@testable import Tiling

/// The blend weights: a partition of unity at every output pixel, raised-cosine ramps.
@Suite("Tile weights")
struct TileWeightsTests {
    /// Σ over the tiles covering an output pixel of their weights there, for every output pixel.
    func weightSums(_ layout: TileLayout, scale: Int) -> [Float] {
        let weights = TileWeights(layout: layout, scale: scale)
        let width = layout.width * scale
        var sums = [Float](repeating: 0, count: width * layout.height * scale)
        for t in layout.tiles {
            for y in 0..<t.height * scale {
                for x in 0..<t.width * scale {
                    sums[(t.y * scale + y) * width + t.x * scale + x] += weights.weight(tile: t.index, x: x, y: y)
                }
            }
        }
        return sums
    }

    @Test(arguments: [(1536, 1024, 512, 64, 1), (1000, 1000, 256, 32, 1), (1000, 600, 512, 64, 1),
                      (700, 300, 256, 32, 4), (513, 7, 512, 64, 4), (300, 200, 512, 64, 4)])
    func sumToOneAtEveryOutputPixel(width: Int, height: Int, tileSize: Int, overlap: Int, scale: Int) {
        let sums = weightSums(TileLayout(width: width, height: height, tileSize: tileSize, overlap: overlap), scale: scale)
        #expect(sums.count == width * height * scale * scale)
        let worst = sums.map { abs($0 - 1) }.max() ?? 0
        #expect(worst <= 1e-6, "largest error \(worst)")
    }

    /// Across an overlap of m output pixels the later tile's weight is (1 − cos(π(q + ½)/m))/2:
    /// near 0 with no slope where the overlap starts, ½ in its middle, near 1 where it ends.
    @Test(arguments: [1, 4])
    func rampsAreRaisedCosines(scale: Int) {
        let layout = TileLayout(width: 1000, height: 1000, tileSize: 256, overlap: 32)
        let weights = TileWeights(layout: layout, scale: scale)
        // Tiles 0 and 1 overlap on input columns 186..<256.
        let m = (256 - 186) * scale, from = 186 * scale
        for q in [0, 1, m / 2, m - 1] {
            let rising = (1 - cos(Double.pi * (Double(q) + 0.5) / Double(m))) / 2
            // Row 0 of tile 0 has no overlap above; its y weight is 1 there.
            #expect(abs(Double(weights.weight(tile: 1, x: q, y: 0)) - rising) < 1e-6, "q \(q)")
            #expect(abs(Double(weights.weight(tile: 0, x: from + q, y: 0)) - (1 - rising)) < 1e-6, "q \(q)")
        }
        // Outside every overlap a tile weighs 1; outside the tile, 0.
        #expect(weights.weight(tile: 6, x: 100 * scale, y: 100 * scale) == 1)
        #expect(weights.weight(tile: 0, x: 256 * scale, y: 0) == 0 && weights.weight(tile: 0, x: -1, y: 0) == 0)
        #expect(weights.weight(tile: 25, x: 0, y: 0) == 0)
    }
}
