import Testing
@testable import DIPEngine

/// Telling white colour noise from noise whose chroma neighbouring pixels share (a JPEG's
/// 4:2:0 chroma), and the held-out rule comparing luma for the latter.
@Suite("Shared chroma noise")
struct ChromaNoiseTests {
    /// A smooth 64×64 colour image with white RGB noise of σ = 0.1, and the same noisy image
    /// with each 2×2 block's chroma (R − Y, B − Y) replaced by the block's mean, as 4:2:0 keeps it.
    static func images() -> (white: Tensor, subsampled: Tensor) {
        let n = 64, white = Tensor(Shape(3, n, n))
        var rng = RandomSource(seed: 3, stream: 7)
        for c in 0..<3 { for y in 0..<n { for x in 0..<n {
            white[c, y, x] = 0.3 + 0.4 * Float(x + y + 8 * c) / Float(2 * n + 16) + 0.1 * rng.normalPair().0
        } } }
        let subsampled = white.clone()
        func luma(_ t: Tensor, _ y: Int, _ x: Int) -> Float { 0.299 * t[0, y, x] + 0.587 * t[1, y, x] + 0.114 * t[2, y, x] }
        for by in stride(from: 0, to: n, by: 2) {
            for bx in stride(from: 0, to: n, by: 2) {
                let block = [(by, bx), (by, bx + 1), (by + 1, bx), (by + 1, bx + 1)]
                let cr = block.map { white[0, $0.0, $0.1] - luma(white, $0.0, $0.1) }.reduce(0, +) / 4
                let cb = block.map { white[2, $0.0, $0.1] - luma(white, $0.0, $0.1) }.reduce(0, +) / 4
                for (y, x) in block {
                    // Keep the pixel's luma, take the block's chroma: solve for G from Y.
                    let l = luma(white, y, x), r = l + cr, b = l + cb
                    subsampled[0, y, x] = r; subsampled[2, y, x] = b
                    subsampled[1, y, x] = (l - 0.299 * r - 0.114 * b) / 0.587
                }
            }
        }
        return (white, subsampled)
    }

    @Test func whiteNoiseIsNotSharedAndSubsampledChromaIs() throws {
        let (white, subsampled) = Self.images()
        let w = try #require(ChromaNoise.ratio(white)), s = try #require(ChromaNoise.ratio(subsampled))
        #expect((1.2...1.8).contains(w), "white noise: chroma/luma \(w), expected about 1.5")
        #expect(s < 0.1, "4:2:0 chroma: \(s)")
        #expect(!ChromaNoise.isShared(white) && ChromaNoise.isShared(subsampled))
        // Not a colour image, or too small to have a 2×2 block: nothing to tell.
        #expect(ChromaNoise.ratio(Tensor(Shape(1, 64, 64))) == nil && ChromaNoise.ratio(Tensor(Shape(3, 1, 64))) == nil)
        #expect(!ChromaNoise.isShared(Tensor(Shape(1, 64, 64))))
    }

    /// Denoising with the held-out rule compares luma exactly where the upload's chroma noise is shared.
    @Test func denoisingComparesLumaWhereChromaIsShared() throws {
        let (white, subsampled) = Self.images()
        let region = PaddedRegion(top: 0, left: 0, height: 64, width: 64, paddedHeight: 64, paddedWidth: 64)
        for (image, luma) in [(white, false), (subsampled, true)] {
            let task = DenoisingTask.reference(image: image).with(preset: .balanced)
            let pixels = try #require(task.heldOutPixels(region: region, settings: task.fitSettings))
            #expect(pixels.luma == luma)
        }
        // The reference preset watches the outputs' variance: no pixels are held out.
        let reference = DenoisingTask.reference(image: subsampled)
        #expect(reference.heldOutPixels(region: region, settings: reference.fitSettings) == nil)
    }
}
