import Testing
@testable import Tiling

@Suite("Tile seeds")
struct TileSeedTests {
    @Test func differPerTileAndRepeat() {
        for seed: UInt64 in [0, 1, 42, TileSeed.mask] {
            let seeds = (0..<10_000).map { TileSeed.derive(seed, tile: $0) }
            #expect(Set(seeds).count == seeds.count, "seed \(seed): two tiles share a seed")
            #expect(seeds == (0..<10_000).map { TileSeed.derive(seed, tile: $0) })
            #expect(seeds.allSatisfy { $0 <= TileSeed.mask }, "a valid spec seed")
            let keepsTheJobsSeed = seeds.contains(seed)
            #expect(!keepsTheJobsSeed, "a tile's seed is not the job's own")
        }
        // Different jobs, different tile seeds.
        #expect(TileSeed.derive(1, tile: 0) != TileSeed.derive(2, tile: 0))
        // splitmix64's first output for seed 0 is 0xE220A8397B1DCDAF; kept to 53 bits. Pinned so
        // that a resumed job's tiles get the seeds they started with.
        #expect(TileSeed.derive(0, tile: 0) == 0xE220_A839_7B1D_CDAF & TileSeed.mask)
        #expect(TileSeed.derive(42, tile: 3) == 8_129_784_920_597_396)
    }
}
