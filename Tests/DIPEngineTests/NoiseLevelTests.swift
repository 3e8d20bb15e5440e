import Testing
@testable import DIPEngine

/// The noise level estimated from an image alone (median absolute diagonal wavelet detail).
@Suite("Noise level")
struct NoiseLevelTests {
    /// A smooth diagonal ramp, with Gaussian noise of the given σ added.
    static func gradient(channels: Int, side: Int, noise: Float, seed: UInt64) -> Tensor {
        let t = Tensor(Shape(channels, side, side))
        var rng = RandomSource(seed: seed)
        for c in 0..<channels {
            for y in 0..<side {
                for x in 0..<side {
                    let (n, _) = rng.normalPair()
                    t.data[(c * side + y) * side + x] = 0.2 + 0.6 * Float(x + y + c) / Float(2 * side) + noise * n
                }
            }
        }
        return t
    }

    @Test(arguments: [Float(0.02), 0.05, 0.1])
    func recoversTheNoiseOfASmoothImage(sigma: Float) {
        let estimate = NoiseLevel.estimate(Self.gradient(channels: 3, side: 128, noise: sigma, seed: 2))
        #expect(abs(estimate / Double(sigma) - 1) < 0.05, "σ \(sigma): estimated \(estimate)")
    }

    @Test func aCleanImageHasAlmostNone() {
        #expect(NoiseLevel.estimate(Self.gradient(channels: 1, side: 64, noise: 0, seed: 1)) < 1e-4)
        #expect(NoiseLevel.estimate(Tensor(Shape(3, 1, 9))) == 0)
    }

    /// Clipping cuts the noise off where the image is white: the left half of this one is
    /// 1 + noise clipped to [0, 1], which must not pull the estimate down.
    @Test func clippedAreasAreLeftOut() {
        let side = 96, t = Tensor(Shape(1, side, side))
        var rng = RandomSource(seed: 4)
        for y in 0..<side {
            for x in 0..<side {
                t.data[y * side + x] = min(1, max(0, (x < side / 2 ? 1 : 0.5) + 0.1 * rng.normalPair().0))
            }
        }
        let estimate = NoiseLevel.estimate(t)
        #expect(estimate > 0.09 && estimate < 0.11, "estimated \(estimate)")
    }

    /// Edges leak into the detail but barely move its median: sharp 8-pixel blocks of
    /// black and white with σ = 0.1 of noise still read within 10 %.
    @Test func edgesBarelyRaiseTheEstimate() {
        let side = 96, t = Tensor(Shape(1, side, side))
        var rng = RandomSource(seed: 9)
        for y in 0..<side {
            for x in 0..<side {
                t.data[y * side + x] = ((x / 8 + y / 8) % 2 == 0 ? 0.2 : 0.8) + 0.1 * rng.normalPair().0
            }
        }
        let estimate = NoiseLevel.estimate(t)
        #expect(estimate > 0.09 && estimate < 0.11, "estimated \(estimate)")
    }
}
