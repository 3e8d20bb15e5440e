import Testing
@testable import DIPEngine

/// The fast convolution against a direct six-loop definition.
@Suite("Conv2d forward")
struct ConvForwardTests {
    static func naive(_ x: Tensor, _ conv: Conv2d, pad: Int? = nil) -> Tensor {
        let k = conv.kernel, s = conv.stride, p = pad ?? (k - 1) / 2
        let out = Tensor(conv.outputShape(for: x.shape))
        for co in 0..<conv.outChannels {
            for oy in 0..<out.height {
                for ox in 0..<out.width {
                    var acc = Double(conv.bias?.value[co] ?? 0)
                    for ci in 0..<conv.inChannels {
                        for ky in 0..<k {
                            for kx in 0..<k {
                                let sy = conv.padding.source(oy * s + ky, pad: p, size: x.height)
                                let sx = conv.padding.source(ox * s + kx, pad: p, size: x.width)
                                if sy < 0 || sx < 0 { continue }
                                acc += Double(conv.weight.value[((co * conv.inChannels + ci) * k + ky) * k + kx]) * Double(x[ci, sy, sx])
                            }
                        }
                    }
                    out[co, oy, ox] = Float(acc)
                }
            }
        }
        return out
    }

    @Test(arguments: [(3, 1, Padding.reflection), (3, 2, .zero), (5, 2, .reflection), (1, 1, .zero), (7, 1, .replication), (3, 2, .replication)],
          InstructionSet.supported)
    func matchesDefinition(_ c: (Int, Int, Padding), _ kernels: InstructionSet) throws {
        let compute = try Compute(threads: 2, instructionSet: kernels)
        var rng = RandomSource(seed: 11)
        let conv = Conv2d(3, 5, kernel: c.0, stride: c.1, padding: c.2)
        for p in conv.parameters { for i in 0..<p.count { p.value[i] = 2 * rng.uniform() - 1 } }
        for (h, w) in [(9, 13), (16, 16), (33, 7)] {
            let x = Tensor(Shape(3, h, w))
            for i in 0..<x.count { x.data[i] = 2 * rng.uniform() - 1 }
            let fast = conv.forward(x, compute), slow = Self.naive(x, conv)
            #expect(fast.shape == slow.shape)
            var worst: Float = 0
            for i in 0..<fast.count { worst = max(worst, abs(fast.data[i] - slow.data[i])) }
            #expect(worst < 1e-4, "k\(c.0) s\(c.1) \(c.2) \(h)×\(w): max error \(worst)")
        }
    }

    @Test func reflectionPaddingMatchesReflectionPad2d() {
        // ReflectionPad2d(2) of [0 1 2 3] is [2 1 | 0 1 2 3 | 2 1].
        let got = (0..<8).map { Padding.reflection.source($0, pad: 2, size: 4) }
        #expect(got == [2, 1, 0, 1, 2, 3, 2, 1])
        #expect((0..<6).map { Padding.replication.source($0, pad: 1, size: 4) } == [0, 0, 1, 2, 3, 3])
        #expect((0..<6).map { Padding.zero.source($0, pad: 1, size: 4) } == [-1, 0, 1, 2, 3, -1])
    }

    @Test func lanczosTapsMatchTheReference() {
        // Normalised 1-D taps of Downsampler(factor 4, lanczos2, phase 0.5), first half.
        let expected: [Float] = [-0.001065, -0.009752, -0.020384, -0.014878, 0.024594, 0.098658, 0.183115, 0.239711]
        let taps = LanczosDownsampler.kernel(factor: 4, support: 2, phase: 0.5)
        #expect(taps.count == 16)
        for (i, e) in expected.enumerated() {
            #expect(abs(taps[i] - e) < 2e-6)
            #expect(abs(taps[15 - i] - e) < 2e-6)
        }
        let x8 = LanczosDownsampler.kernel(factor: 8, support: 2, phase: 0.5)
        #expect(x8.count == 32 && abs(x8[0] + 0.000128) < 2e-6 && abs(x8[15] - 0.122797) < 2e-6)
        #expect(LanczosDownsampler(factor: 4).outputShape(for: Shape(3, 384, 576)) == Shape(3, 96, 144))
    }

    @Test func bilinearMatchesAlignCornersFalse() {
        // 1-D row [0, 1, 2]: PyTorch's Upsample(×2, bilinear) gives [0, 0.25, 0.75, 1.25, 1.75, 2].
        let x = Tensor(Shape(1, 1, 3), values: [0, 1, 2])
        let y = Upsample2x(.bilinear).forward(x, .serial)
        #expect(y.values.prefix(6).map { ($0 * 100).rounded() / 100 } == [0, 0.25, 0.75, 1.25, 1.75, 2])
    }
}
