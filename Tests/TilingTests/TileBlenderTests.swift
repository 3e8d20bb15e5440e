import Foundation
import ImageCodec
import Testing
@testable import Tiling

/// Cutting and blending back: constants stay constant, an identity fit gives the input back,
/// tiles of different values meet without a step, and wrong tiles are refused.
@Suite("Tile cutting and blending")
struct TileBlenderTests {
    @Test(arguments: [1, 2])
    func aConstantImageStaysConstant(scale: Int) throws {
        let value: Float = 0.37
        for (w, h, size, overlap) in [(1000, 1000, 256, 32), (1000, 600, 512, 64), (300, 200, 512, 64)] {
            let layout = TileLayout(width: w, height: h, tileSize: size, overlap: overlap)
            let image = constantImage(width: w, height: h, channels: 3, value: value)
            let blended = try TileBlender.blend(layout: layout, scale: scale, channels: 3) { i in
                let cut = TileCutter.cut(image, layout.tiles[i])
                return scale == 1 ? cut : constantImage(width: cut.width * scale, height: cut.height * scale, channels: 3, value: value)
            }
            #expect(blended.width == w * scale && blended.height == h * scale && blended.channels == 3)
            let worst = blended.samples.map { abs($0 - value) }.max() ?? 0
            #expect(worst <= 1e-6, "\(w)×\(h): largest error \(worst)")
        }
    }

    @Test func cutCopiesTheTilesPixels() {
        let image = randomImage(width: 40, height: 30, channels: 3, seed: 9)
        let tile = Tile(index: 0, row: 0, column: 0, x: 7, y: 5, width: 20, height: 11)
        let cut = TileCutter.cut(image, tile)
        #expect(cut.width == 20 && cut.height == 11 && cut.channels == 3 && cut.samples.count == 20 * 11 * 3)
        for (x, y, c) in [(0, 0, 0), (19, 10, 2), (3, 7, 1)] {
            #expect(cut.samples[(y * 20 + x) * 3 + c] == image.samples[((y + 5) * 40 + x + 7) * 3 + c])
        }
    }

    /// The identity fit: each tile's output is its own input. Blended back and quantised to 8
    /// bits, the result is the input, bit for bit.
    @Test(arguments: [(1536, 1024, 512, 64), (1000, 600, 512, 64)])
    func theIdentityFitGivesTheInputBack(width: Int, height: Int, tileSize: Int, overlap: Int) throws {
        let image = randomImage(width: width, height: height, channels: 3, seed: 1)
        let layout = TileLayout(width: width, height: height, tileSize: tileSize, overlap: overlap)
        var asked: [Int] = []
        let blended = try TileBlender.blend(layout: layout, channels: 3) { i in
            asked.append(i)
            return TileCutter.cut(image, layout.tiles[i])
        }
        #expect(asked == Array(layout.tiles.indices), "each tile once, in index order")
        #expect(blended.width == width && blended.height == height && blended.channels == 3 && blended.bitDepth == 8)
        #expect(quantised(blended) == quantised(image))
    }

    /// A 16-bit input's tiles and their blend keep its bit depth, so the result can be written at 16 bits.
    @Test func sixteenBitInputsStaySixteenBit() throws {
        var image = randomImage(width: 300, height: 200, channels: 1, seed: 4)
        image.bitDepth = 16
        let layout = TileLayout(width: 300, height: 200, tileSize: 128, overlap: 16)
        let blended = try TileBlender.blend(layout: layout, channels: 1) { i in
            let cut = TileCutter.cut(image, layout.tiles[i])
            #expect(cut.bitDepth == 16)
            return cut
        }
        #expect(blended.bitDepth == 16)
        let worst = zip(blended.samples, image.samples).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 1e-6, "largest change \(worst)")
    }

    /// Tiles that each fitted a different constant. Along x, at a pixel in the overlap of two
    /// columns of tiles the value is a·w + b·(1 − w) (averaged over the rows by the y weights,
    /// which sum to 1), and the raised cosine's w changes between neighbouring pixels by at
    /// most (π/2)/m over an overlap of m output pixels (the slope of (1 − cos πr)/2 is at most
    /// π/2 per unit of r, and r steps by 1/m); where no ramp runs the value does not change.
    /// So neighbours differ by at most π/(2·overlap·scale) · (largest − smallest constant),
    /// whereas tiles pasted side by side would step by the difference of their constants.
    @Test(arguments: [1, 2])
    func tilesOfDifferentValuesMeetWithoutAStep(scale: Int) throws {
        let overlap = 32
        let layout = TileLayout(width: 1000, height: 1000, tileSize: 256, overlap: overlap)
        let constants = layout.tiles.map { Float(($0.index * 7) % 10) / 9 }
        let range = constants.max()! - constants.min()!
        let bound = Float.pi / Float(2 * overlap * scale) * range + 1e-6
        // The test means something: neighbouring tiles differ by far more than the bound.
        let smallestNeighbourStep = layout.tiles.filter { $0.column + 1 < layout.columns }
            .map { abs(constants[$0.index] - constants[$0.index + 1]) }.min()!
        #expect(smallestNeighbourStep > 2 * bound)

        let blended = try TileBlender.blend(layout: layout, scale: scale, channels: 1) { i in
            let t = layout.tiles[i]
            return constantImage(width: t.width * scale, height: t.height * scale, channels: 1, value: constants[i])
        }
        let w = blended.width, h = blended.height, v = blended.samples
        var largest: Float = 0
        for y in 0..<h {
            for x in 0..<w {
                if x + 1 < w { largest = max(largest, abs(v[y * w + x + 1] - v[y * w + x])) }
                if y + 1 < h { largest = max(largest, abs(v[(y + 1) * w + x] - v[y * w + x])) }
            }
        }
        #expect(largest <= bound, "largest change \(largest), bound \(bound)")
        #expect(largest > bound / 4, "the constants are blended, not averaged away")
        // Where only one tile covers a pixel, the result is that tile's value.
        let t = layout.tiles[6]    // row 1, column 1: alone on input pixels 256..<372 both ways
        #expect(abs(v[(300 * scale) * w + 300 * scale] - constants[t.index]) <= 1e-6)
    }

    static let layout = TileLayout(width: 600, height: 300, tileSize: 256, overlap: 32)

    /// What blending `layout`'s tiles made by `make` throws, or nil.
    func refusal(scale: Int = 1, channels: Int = 3, layout: TileLayout = TileBlenderTests.layout, _ make: (Tile) throws -> Image) -> (any Error)? {
        do {
            _ = try TileBlender.blend(layout: layout, scale: scale, channels: channels) { i in try make(layout.tiles[i]) }
            return nil
        } catch {
            return error
        }
    }

    @Test func wrongTilesAreRefused() {
        let layout = Self.layout
        let shaped = { (t: Tile) in constantImage(width: t.width, height: t.height, channels: 3, value: 0.5) }
        #expect(refusal(shaped) == nil)
        // Wrong size, wrong channels, too few samples, at tile 4.
        #expect(refusal { t in t.index == 4 ? constantImage(width: t.width - 1, height: t.height, channels: 3, value: 0) : shaped(t) } as? TilingError
                == .tileShape(index: 4, expectedWidth: 256, expectedHeight: 256, expectedChannels: 3, width: 255, height: 256, channels: 3))
        #expect(refusal { t in t.index == 4 ? constantImage(width: t.width, height: t.height, channels: 1, value: 0) : shaped(t) } as? TilingError
                == .tileShape(index: 4, expectedWidth: 256, expectedHeight: 256, expectedChannels: 3, width: 256, height: 256, channels: 1))
        #expect(refusal { t in t.index == 4 ? Image(width: t.width, height: t.height, channels: 3, samples: [0]) : shaped(t) } as? TilingError
                == .tileSamples(index: 4, expected: 256 * 256 * 3, count: 1))
        // A scale-1 tile where scale 2 is expected.
        #expect(refusal(scale: 2, shaped) as? TilingError
                == .tileShape(index: 0, expectedWidth: 512, expectedHeight: 512, expectedChannels: 3, width: 256, height: 256, channels: 3))
        #expect(refusal(scale: 0, shaped) as? TilingError == .invalidScale(0))
        #expect(refusal(channels: 0, shaped) as? TilingError == .invalidChannels(0))
        // The closure's own error comes through.
        struct FitFailed: Error {}
        #expect(refusal { t in if t.index == 2 { throw FitFailed() }; return shaped(t) } is FitFailed)
        // A layout altered after it was made: a tile moved off the grid.
        var moved = layout
        moved.tiles[3].x += 1
        #expect(refusal(layout: moved, shaped).map { "\($0)" }?.hasPrefix("invalid tile layout") == true)
    }
}
