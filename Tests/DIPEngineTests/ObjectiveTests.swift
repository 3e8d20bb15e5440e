import Testing
@testable import DIPEngine

/// Task losses: their gradients against finite differences.
@Suite("Objectives")
struct ObjectiveTests {
    static func random(_ s: Shape, seed: UInt64) -> Tensor {
        let t = Tensor(s)
        var rng = RandomSource(seed: seed)
        for i in 0..<t.count { t.data[i] = rng.uniform() }
        return t
    }

    static func check(_ objective: FitObjective, seed: UInt64) -> Double {
        let out = random(objective.outputShape, seed: seed)
        let grad = Tensor(out.shape)
        let compute = Compute(threads: 2)
        _ = objective.loss(output: out, gradient: grad, compute: compute)
        let g = grad.clone()
        let scratch = Tensor(out.shape)
        var worst = 0.0
        let scale = (0..<g.count).map { abs(Double(g.data[$0])) }.max() ?? 1
        for i in stride(from: 0, to: out.count, by: max(1, out.count / 25)) {
            let old = out.data[i], h: Float = 1e-2
            out.data[i] = old + h; let fp = objective.loss(output: out, gradient: scratch, compute: compute)
            out.data[i] = old - h; let fm = objective.loss(output: out, gradient: scratch, compute: compute)
            out.data[i] = old
            worst = max(worst, abs(Double((fp - fm) / (2 * h)) - Double(g.data[i])) / scale)
        }
        return worst
    }

    @Test func superResolutionLossGradient() {
        let lr = Self.random(Shape(3, 4, 5), seed: 1)
        let objective = FitDownsampled(lowResolution: lr, factor: 4)
        #expect(objective.outputShape == Shape(3, 16, 20))
        #expect(Self.check(objective, seed: 2) < 2e-2)
    }

    @Test func maskedLossGradientAndHolesDoNotCount() {
        let img = Self.random(Shape(3, 6, 7), seed: 3)
        let mask = Tensor(Shape(1, 6, 7))
        for i in 0..<mask.count { mask.data[i] = i % 3 == 0 ? 0 : 1 }
        let objective = FitMaskedImage(target: img, mask: mask)
        #expect(Self.check(objective, seed: 4) < 2e-2)
        // Changing the output inside a hole changes nothing.
        let out = Self.random(img.shape, seed: 5), g = Tensor(img.shape)
        let before = objective.loss(output: out, gradient: g, compute: .serial)
        out[1, 0, 0] += 0.5                      // pixel 0 is a hole
        #expect(objective.loss(output: out, gradient: g, compute: .serial) == before)
        #expect(g[1, 0, 0] == 0)
    }
}

/// The total-variation term and the loss it makes with a task's: values and gradients.
@Suite("Total variation")
struct TotalVariationTests {
    @Test func valueIsTheMeanAbsoluteNeighbourDifference() {
        // One channel, 2×3: along the rows 1 + 2 and 2 + 3, down the columns 4 + 1 + 2: 15 over 6 elements.
        let x = Tensor(Shape(1, 2, 3), values: [0, 1, 3, 4, 2, 5])
        let g = Tensor(x.shape)
        let tv = TotalVariation.evaluate(output: x, weight: 1, addingGradientTo: g, compute: .serial)
        #expect(abs(tv - 15.0 / 6) < 1e-6)
        // Pixel (0,0) is below both its right and lower neighbours: −1/6 from each.
        #expect(abs(g[0, 0, 0] - (-2.0 / 6)) < 1e-6)
        let flat = Tensor(Shape(3, 4, 4)); flat.fill(0.5)
        let gFlat = Tensor(flat.shape)
        #expect(TotalVariation.evaluate(output: flat, weight: 1, addingGradientTo: gFlat, compute: .serial) == 0)
        #expect(gFlat.values.allSatisfy { $0 == 0 })
    }

    /// √MSE + λ·TV, the loss a fit with a TV weight minimises, against finite differences.
    @Test func regularizedLossGradient() {
        let target = ObjectiveTests.random(Shape(3, 7, 6), seed: 21)
        let objective = FitImage(target: target)
        let out = ObjectiveTests.random(target.shape, seed: 22)
        let compute = Compute(threads: 2)
        func loss(_ gradient: Tensor) -> Float {
            let l = objective.loss(output: out, gradient: gradient, compute: compute)
            return DeepImagePrior.regularize(loss: l, output: out, gradient: gradient, weight: 0.3, compute)
        }
        let g = Tensor(out.shape), scratch = Tensor(out.shape)
        _ = loss(g)
        let scale = g.values.map { abs($0) }.max() ?? 1
        var worst: Float = 0
        for i in 0..<out.count {
            let old = out.data[i], h: Float = 1e-3
            out.data[i] = old + h; let fp = loss(scratch)
            out.data[i] = old - h; let fm = loss(scratch)
            out.data[i] = old
            worst = max(worst, abs((fp - fm) / (2 * h) - g.data[i]) / scale)
        }
        #expect(worst < 2e-2, "worst relative difference \(worst)")
    }
}
