import Testing
@testable import DIPEngine

/// Every layer's backward pass against central finite differences.
@Suite("Layer gradients")
struct LayerGradientTests {
    struct ConvCase: CustomTestStringConvertible, Sendable {
        let k: Int, stride: Int, pad: Padding, bias: Bool, cin: Int, cout: Int, h: Int, w: Int
        var testDescription: String { "k\(k) s\(stride) \(pad) bias:\(bias) \(cin)→\(cout) \(h)×\(w)" }
    }

    static let convCases: [ConvCase] = [
        .init(k: 3, stride: 1, pad: .zero, bias: true, cin: 3, cout: 4, h: 7, w: 6),
        .init(k: 3, stride: 1, pad: .reflection, bias: true, cin: 2, cout: 3, h: 6, w: 9),
        .init(k: 3, stride: 1, pad: .replication, bias: false, cin: 2, cout: 2, h: 5, w: 5),
        .init(k: 5, stride: 1, pad: .reflection, bias: true, cin: 2, cout: 3, h: 8, w: 7),
        .init(k: 1, stride: 1, pad: .zero, bias: true, cin: 5, cout: 3, h: 4, w: 6),
        .init(k: 3, stride: 2, pad: .zero, bias: true, cin: 3, cout: 4, h: 9, w: 8),
        .init(k: 3, stride: 2, pad: .reflection, bias: true, cin: 2, cout: 3, h: 8, w: 11),
        .init(k: 5, stride: 2, pad: .replication, bias: true, cin: 2, cout: 2, h: 10, w: 9),
        .init(k: 7, stride: 2, pad: .reflection, bias: false, cin: 1, cout: 2, h: 12, w: 12),
        .init(k: 1, stride: 2, pad: .zero, bias: true, cin: 3, cout: 2, h: 7, w: 6),
        // tall images: several row bands, split across threads
        .init(k: 3, stride: 1, pad: .reflection, bias: true, cin: 2, cout: 2, h: 3000, w: 3),
        .init(k: 3, stride: 2, pad: .zero, bias: true, cin: 2, cout: 2, h: 3001, w: 5),
    ]

    @Test("Conv2d", arguments: convCases, InstructionSet.supported)
    func conv(_ c: ConvCase, _ kernels: InstructionSet) {
        let conv = Conv2d(c.cin, c.cout, kernel: c.k, stride: c.stride, padding: c.pad, bias: c.bias)
        let r = GradientCheck(samples: c.h > 100 ? 40 : 24, kernels: kernels).run(conv, input: Shape(c.cin, c.h, c.w))
        #expect(r.failures.isEmpty, "\(r.failures.prefix(5))")
        #expect(r.checked > 0)
    }

    /// Every entry of the gradients, not a sample: the backward pass split over threads (even
    /// bands, then odd ones, each adding into rows its neighbours also reach) gives what one
    /// thread gives, up to the order of float additions.
    @Test("Conv2d on two threads equals one", arguments: [(3, 1), (3, 2), (5, 1)], InstructionSet.supported)
    func convThreadsAgree(_ ks: (Int, Int), _ kernels: InstructionSet) throws {
        let (k, stride) = ks
        func gradients(threads: Int) throws -> (dx: [Float], dw: [Float], db: [Float]) {
            let conv = Conv2d(6, 5, kernel: k, stride: stride, padding: .reflection)
            var rng = RandomSource(seed: 11)
            for p in conv.parameters { for i in 0..<p.count { p.value[i] = 2 * rng.uniform() - 1 } }
            let x = Tensor(Shape(6, 97, 23))
            for i in 0..<x.count { x.data[i] = 2 * rng.uniform() - 1 }
            let compute = try Compute(threads: threads, instructionSet: kernels)
            let y = conv.forward(x, compute)
            let dy = Tensor(y.shape)
            for i in 0..<dy.count { dy.data[i] = 2 * rng.uniform() - 1 }
            let dx = try #require(conv.backward(dy, compute))
            return (dx.values, conv.weight.gradients, conv.bias!.gradients)
        }
        let one = try gradients(threads: 1), two = try gradients(threads: 2)
        for (a, b, what) in [(one.dx, two.dx, "input"), (one.dw, two.dw, "weight"), (one.db, two.db, "bias")] {
            let scale = a.map(abs).max() ?? 1
            let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            #expect(a.count == b.count && worst <= 1e-5 * scale, "\(what): differs by \(worst) of \(scale)")
        }
    }

    @Test func batchNorm() {
        let r = GradientCheck().run(BatchNorm2d(3), input: Shape(3, 5, 6))
        #expect(r.failures.isEmpty, "\(r.failures.prefix(5))")
    }

    /// Batch norm with the LeakyReLU (or ReLU) after it done in its own passes: the
    /// gradients by finite differences, and the same numbers as the two layers apart.
    @Test(arguments: [Float(0.2), 0])
    func batchNormWithActivation(_ slope: Float) throws {
        let r = GradientCheck(h: 1e-3).run(BatchNorm2d(3, activationSlope: slope), input: Shape(3, 5, 6))
        #expect(r.failures.isEmpty, "\(r.failures.prefix(5))")

        let compute = Compute(threads: 2)
        func run(_ fused: Bool) -> (y: [Float], dx: [Float], dg: [Float], db: [Float]) {
            var rng = RandomSource(seed: 5)
            let bn = BatchNorm2d(4, activationSlope: fused ? slope : nil)
            for p in bn.parameters { for i in 0..<p.count { p.value[i] = 2 * rng.uniform() - 1 } }
            let net = fused ? Sequential([bn]) : Sequential([bn, LeakyReLU(slope: slope)])
            let x = Tensor(Shape(4, 9, 11)), dy = Tensor(Shape(4, 9, 11))
            for i in 0..<x.count { x.data[i] = 2 * rng.uniform() - 1; dy.data[i] = 2 * rng.uniform() - 1 }
            let y = net.forward(x, compute).values
            let dx = net.backward(dy, compute)!.values
            return (y, dx, bn.gamma.gradients, bn.beta.gradients)
        }
        let fused = run(true), apart = run(false)
        for (a, b, what) in [(fused.y, apart.y, "output"), (fused.dx, apart.dx, "input gradient"),
                             (fused.dg, apart.dg, "γ gradient"), (fused.db, apart.db, "β gradient")] {
            let worst = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
            #expect(a.count == b.count && worst <= 1e-5, "\(what) differs by \(worst)")
        }
        #expect(fused.dx.contains { $0 != 0 } && fused.y.contains { $0 < 0 } == (slope > 0))
    }

    /// A batch norm folded into the Winograd convolution that reads it: finite differences,
    /// and the same numbers as the two layers run apart.
    @Test(arguments: InstructionSet.supported)
    func normalizedConvolution(_ kernels: InstructionSet) throws {
        func make(_ seed: UInt64) -> (BatchNorm2d, Conv2d) {
            let bn = BatchNorm2d(8), conv = Conv2d(8, 8, kernel: 3, padding: .reflection)
            var rng = RandomSource(seed: seed)
            for p in bn.parameters + conv.parameters { for i in 0..<p.count { p.value[i] = 2 * rng.uniform() - 1 } }
            return (bn, conv)
        }
        let compute = try Compute(threads: 2, instructionSet: kernels)
        let (bn, conv) = make(1)
        let folded = NormalizedConv(bn, conv)
        #expect(conv.usesWinograd(compute))
        let r = GradientCheck(kernels: kernels).run(folded, input: Shape(8, 6, 7))
        #expect(r.failures.isEmpty, "\(r.failures.prefix(5))")

        var rng = RandomSource(seed: 2)
        let x = Tensor(Shape(8, 12, 9)), dy = Tensor(Shape(8, 12, 9))
        for i in 0..<x.count { x.data[i] = 2 * rng.uniform() - 1; dy.data[i] = 2 * rng.uniform() - 1 }
        func run(_ fold: Bool) -> [[Float]] {
            let (bn, conv) = make(3)
            let net: Module = fold ? NormalizedConv(bn, conv) : Sequential([bn, conv])
            net.needsInputGradient = true
            let y = net.forward(x, compute).values
            let dx = net.backward(dy, compute)!.values
            return [y, dx] + (bn.parameters + conv.parameters).map(\.gradients)
        }
        let a = run(true), b = run(false)
        for (u, v, what) in zip(zip(a, b), ["output", "input gradient", "γ", "β", "weight", "bias"]).map({ ($0.0, $0.1, $1) }) {
            let scale = v.map(abs).max() ?? 1
            let worst = zip(u, v).map { abs($0 - $1) }.max() ?? .infinity
            #expect(u.count == v.count && worst <= 1e-5 * scale, "\(what) differs by \(worst) of \(scale)")
        }
    }

    /// A batch norm after a convolution takes its statistics from the convolution's output
    /// pass (Winograd, strided strips, 1×1): finite differences, and the same numbers as when it
    /// sums them itself — with the output's mean far from zero (a bias of 40) and rows that are
    /// not a multiple of the summing lanes; given another tensor, it sums that one itself.
    @Test(arguments: InstructionSet.supported)
    func batchNormTakesTheConvolutionsOutputSums(_ kernels: InstructionSet) throws {
        func make(_ seed: UInt64, kernel: Int = 3, stride: Int = 1, offset: Float = 40, linked: Bool) -> (Conv2d, BatchNorm2d) {
            let conv = Conv2d(8, 12, kernel: kernel, stride: stride, padding: .reflection)
            let bn = BatchNorm2d(12, activationSlope: 0.2)
            var rng = RandomSource(seed: seed)
            for p in conv.parameters + bn.parameters { for i in 0..<p.count { p.value[i] = 2 * rng.uniform() - 1 } }
            for i in 0..<12 { conv.bias!.value[i] += offset }
            if linked { bn.inputSums = conv.sumsOutput() }
            return (conv, bn)
        }
        let compute = try Compute(threads: 2, instructionSet: kernels)
        for (k, stride) in [(3, 1), (3, 2)] {
            let (conv, bn) = make(1, kernel: k, stride: stride, offset: 0, linked: true)
            let r = GradientCheck(h: 1e-3, kernels: kernels).run(Sequential([conv, bn]), input: Shape(8, 6, 7))
            #expect(r.failures.isEmpty, "\(k)×\(k) stride \(stride): \(r.failures.prefix(5))")
            #expect(bn.usedInputSums)
        }

        for (k, stride, shape) in [(3, 1, Shape(8, 13, 37)), (3, 1, Shape(8, 9, 16)), (3, 2, Shape(8, 13, 37)), (1, 1, Shape(8, 13, 37))] {
            var rng = RandomSource(seed: 2)
            let x = Tensor(shape)
            for i in 0..<x.count { x.data[i] = 2 * rng.uniform() - 1 }
            func run(_ linked: Bool) -> (values: [[Float]], summed: Bool) {
                let (conv, bn) = make(3, kernel: k, stride: stride, linked: linked)
                let net = Sequential([conv, bn])
                net.needsInputGradient = true
                let y = net.forward(x, compute)
                let summed = bn.usedInputSums
                let dy = Tensor(y.shape)
                var rng = RandomSource(seed: 4)
                for i in 0..<dy.count { dy.data[i] = 2 * rng.uniform() - 1 }
                let dx = net.backward(dy, compute)!.values
                return ([y.values, dx] + (conv.parameters + bn.parameters).map(\.gradients), summed)
            }
            let a = run(true), b = run(false)
            #expect(a.summed && !b.summed, "sums taken from the \(k)×\(k) stride-\(stride) convolution: \(a.summed)")
            for (u, v, what) in zip(zip(a.values, b.values), ["output", "input gradient", "weight", "bias", "γ", "β"]).map({ ($0.0, $0.1, $1) }) {
                // The convolution's bias gradient is zero but for rounding (the batch norm removes
                // the mean): measured against the weight gradient's scale.
                let scale = (what == "bias" ? b.values[2] : v).map(abs).max() ?? 1
                let worst = zip(u, v).map { abs($0 - $1) }.max() ?? .infinity
                #expect(u.count == v.count && worst <= 1e-5 * scale, "\(what) differs by \(worst) of \(scale) (\(k)×\(k) stride \(stride), \(shape))")
            }
        }

        // Linked, but given a tensor the convolution did not just write: it sums that one.
        let (conv, bn) = make(5, linked: true)
        let x = WinogradTests.random(Shape(8, 10, 10), seed: 6)
        let other = Tensor(Shape(12, 10, 10), values: conv.forward(x, compute).values.map { $0 * 3 })
        let y = bn.forward(other, compute).values
        #expect(!bn.usedInputSums)
        let (_, alone) = make(5, linked: false)
        let expected = alone.forward(other, compute).values
        #expect(zip(y, expected).allSatisfy { $0 == $1 })
    }

    @Test func activations() {
        for m: Module in [LeakyReLU(slope: 0.2), LeakyReLU(slope: 0), Sigmoid()] {
            let r = GradientCheck(h: 1e-3).run(m, input: Shape(2, 4, 5))
            #expect(r.failures.isEmpty, "\(type(of: m)): \(r.failures.prefix(5))")
        }
    }

    @Test("Upsample ×2", arguments: [UpsampleMode.nearest, .bilinear])
    func upsample(_ mode: UpsampleMode) {
        let r = GradientCheck().run(Upsample2x(mode), input: Shape(2, 3, 5))
        #expect(r.failures.isEmpty, "\(r.failures.prefix(5))")
    }

    @Test func pooling() {
        for kind in [PoolKind.average, .max] {
            let r = GradientCheck(h: 1e-3).run(Pool2x(kind), input: Shape(2, 6, 7))
            #expect(r.failures.isEmpty, "\(kind): \(r.failures.prefix(5))")
        }
    }

    @Test("Lanczos downsampler", arguments: [(2, 2), (4, 2), (2, 3)])
    func lanczos(_ fs: (Int, Int)) {
        let m = LanczosDownsampler(factor: fs.0, support: fs.1)
        let r = GradientCheck().run(m, input: Shape(2, 4 * fs.0, 3 * fs.0))
        #expect(r.failures.isEmpty, "\(r.failures.prefix(5))")
    }

    @Test func concatWithCentreCrop() {
        // Branch outputs 5×7 and 4×6: the first is cropped by (0, 0) (offset floor((5-4)/2) = 0),
        // and a branch 6×8 vs 4×6 exercises offset 1.
        let a = Sequential([Conv2d(2, 3, kernel: 3)])
        let b = Sequential([Conv2d(2, 2, kernel: 3, stride: 2), Upsample2x(.bilinear)])
        let concat = Concat([a, b])
        let r = GradientCheck().run(concat, input: Shape(2, 5, 7))
        #expect(concat.outputShape(for: Shape(2, 5, 7)) == Shape(5, 5, 7) || concat.outputShape(for: Shape(2, 5, 7)).height <= 6)
        #expect(r.failures.isEmpty, "\(r.failures.prefix(5))")
        let c = Concat([Sequential([Upsample2x(.nearest), Conv2d(2, 1, kernel: 1)]), Sequential([Conv2d(2, 2, kernel: 3)])])
        #expect(c.outputShape(for: Shape(2, 3, 4)) == Shape(3, 3, 4))
        let r2 = GradientCheck().run(c, input: Shape(2, 3, 4))
        #expect(r2.failures.isEmpty, "\(r2.failures.prefix(5))")
    }

    /// The whole network's composition (concat with crop, upsampling, batch norm,
    /// convolutions, sigmoid). Activations are left out here because a finite
    /// difference across a LeakyReLU kink is meaningless; they are checked alone above
    /// and the PyTorch fixtures check the network with them.
    @Test(arguments: [UpsampleMode.bilinear, .nearest], InstructionSet.supported)
    func smallSkipNetwork(_ up: UpsampleMode, _ kernels: InstructionSet) throws {
        let config = SkipConfiguration(inputChannels: 2, outputChannels: 2, channelsDown: [3, 4], channelsUp: [3, 4],
                                       channelsSkip: [2, 1], padding: .reflection, upsampleMode: [up],
                                       activation: .none)
        let net = try SkipNetwork(config)
        net.root.needsInputGradient = true
        let r = GradientCheck(h: 1e-2, samples: 6, seed: 3, kernels: kernels).run(net.root, input: Shape(2, 10, 12))
        #expect(r.failures.isEmpty, "\(r.failures.prefix(5))")
    }

    @Test func maskedMSE() {
        var rng = RandomSource(seed: 1)
        let out = Tensor(Shape(3, 4, 5)), target = Tensor(Shape(3, 4, 5)), mask = Tensor(Shape(1, 4, 5))
        for i in 0..<out.count { out.data[i] = rng.uniform(); target.data[i] = rng.uniform() }
        for i in 0..<mask.count { mask.data[i] = rng.uniform() < 0.5 ? 0 : 1 }
        let grad = Tensor(out.shape)
        let loss = MSELoss.evaluate(output: out, target: target, mask: mask, gradient: grad, compute: .serial)
        // Direct definition: mean over all elements of ((o − t)·m)².
        var direct = 0.0
        for c in 0..<3 { for y in 0..<4 { for x in 0..<5 {
            let d = Double(out[c, y, x] - target[c, y, x]) * Double(mask[0, y, x]); direct += d * d } } }
        #expect(abs(Double(loss) - direct / 60) < 1e-6)
        let h: Float = 1e-3
        for i in [0, 7, 19, 33, 59] {
            let old = out.data[i]
            out.data[i] = old + h
            let fp = MSELoss.evaluate(output: out, target: target, mask: mask, gradient: nil, compute: .serial)
            out.data[i] = old - h
            let fm = MSELoss.evaluate(output: out, target: target, mask: mask, gradient: nil, compute: .serial)
            out.data[i] = old
            #expect(abs(Double((fp - fm) / (2 * h)) - Double(grad.data[i])) < 1e-3)
        }
    }
}
