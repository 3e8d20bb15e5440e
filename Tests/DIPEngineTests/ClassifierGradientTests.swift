import Testing
@testable import DIPEngine

/// The classifier's layers, and a whole truncated SqueezeNet, against finite differences.
@Suite("Classifier gradients")
struct ClassifierGradientTests {
    struct PoolCase: CustomTestStringConvertible, Sendable {
        let k: Int, s: Int, ceil: Bool, h: Int, w: Int, oh: Int, ow: Int
        var testDescription: String { "k\(k) s\(s) ceil:\(ceil) \(h)×\(w)" }
    }

    // Output sizes as nn.MaxPool2d gives them.
    static let poolCases: [PoolCase] = [
        .init(k: 3, s: 2, ceil: true, h: 8, w: 7, oh: 4, ow: 3),
        .init(k: 3, s: 2, ceil: false, h: 8, w: 7, oh: 3, ow: 3),
        .init(k: 3, s: 2, ceil: true, h: 2, w: 5, oh: 1, ow: 2),
        .init(k: 2, s: 2, ceil: false, h: 6, w: 7, oh: 3, ow: 3),
        .init(k: 3, s: 1, ceil: true, h: 5, w: 4, oh: 3, ow: 2),
    ]

    @Test("MaxPool2d", arguments: poolCases)
    func maxPool(_ c: PoolCase) {
        let pool = MaxPool2d(kernel: c.k, stride: c.s, ceilMode: c.ceil)
        #expect(pool.outputShape(for: Shape(2, c.h, c.w)) == Shape(2, c.oh, c.ow))
        let r = GradientCheck(h: 1e-3).run(pool, input: Shape(2, c.h, c.w))
        #expect(r.failures.isEmpty, "\(r.failures.prefix(5))")
    }

    @Test func squeezeNetSizes() {
        // 224 → conv 111 → pools 55, 27, 13 (torchvision's sizes).
        let p = MaxPool2d(kernel: 3, stride: 2, ceilMode: true)
        #expect([111, 55, 27].map { p.outputSize($0) } == [55, 27, 13])
        #expect(Conv2d(3, 64, kernel: 3, stride: 2, pad: 0).outputShape(for: Shape(3, 224, 224)) == Shape(64, 111, 111))
    }

    @Test func globalAveragePoolAndNormalization() {
        for m: Module in [GlobalAveragePool(), ChannelNormalization.imageNet] {
            let r = GradientCheck(h: 1e-3).run(m, input: Shape(3, 4, 5))
            #expect(r.failures.isEmpty, "\(type(of: m)): \(r.failures.prefix(5))")
        }
    }

    @Test func unpaddedStridedConvolution() {
        let r = GradientCheck().run(Conv2d(3, 4, kernel: 3, stride: 2, pad: 0), input: Shape(3, 9, 8))
        #expect(r.failures.isEmpty, "\(r.failures.prefix(5))")
    }

    @Test func frozenConvolutionLeavesParameterGradientsAlone() {
        let conv = Conv2d(2, 3, kernel: 3, stride: 2, pad: 0)
        for p in conv.parameters { for i in 0..<p.count { p.value[i] = Float(i % 7) * 0.1 - 0.3 } }
        let x = Tensor(Shape(2, 7, 7)); for i in 0..<x.count { x.data[i] = Float(i % 5) * 0.2 }
        let compute = Compute(threads: 2)
        let y = conv.forward(x, compute)
        let dy = Tensor(y.shape); dy.fill(1)
        let full = conv.backward(dy, compute)!.values
        for p in conv.parameters { p.zeroGrad() }
        conv.needsParameterGradients = false
        _ = conv.forward(x, compute)
        let frozen = conv.backward(dy, compute)!.values
        #expect(frozen == full)
        #expect(conv.parameters.allSatisfy { $0.gradients.allSatisfy { $0 == 0 } })
    }

    /// Shows a module's input gradient only, so the checker leaves its (frozen) weights alone.
    final class InputOnly: Module {
        let inner: Module
        init(_ inner: Module) { self.inner = inner }
        var needsInputGradient: Bool { get { inner.needsInputGradient } set { inner.needsInputGradient = newValue } }
        func outputShape(for s: Shape) -> Shape { inner.outputShape(for: s) }
        func forward(_ x: Tensor, _ compute: Compute) -> Tensor { inner.forward(x, compute) }
        func backward(_ dy: Tensor, _ compute: Compute) -> Tensor? { inner.backward(dy, compute) }
    }

    /// SqueezeNet with random weights that keep activations at about unit scale through the
    /// ReLUs (He-uniform), so that gradients at the input stand well above float32 noise.
    static func randomSqueezeNet() throws -> SqueezeNet {
        let shapes = SqueezeNet().parameters.map(\.shape)
        var rng = RandomSource(seed: 11)
        var weights: [WeightTensor] = []
        for (name, shape) in zip(SqueezeNet.parameterNames, shapes) {
            let fanIn = shape.count == 4 ? shape[1] * shape[2] * shape[3] : 600
            let b = (6 / Float(fanIn)).squareRoot()
            weights.append(WeightTensor(name: name, shape: shape, values: (0..<shape.reduce(1, *)).map { _ in (2 * rng.uniform() - 1) * b }))
        }
        return try SqueezeNet(weights: weights)
    }

    @Test(arguments: [SqueezeNetLayer.fire3, .fire9, .conv10], InstructionSet.supported)
    func truncatedSqueezeNet(_ layer: SqueezeNetLayer, _ kernels: InstructionSet) throws {
        let net = try Self.randomSqueezeNet()
        let m = InputOnly(net.network(upTo: layer))
        // 35×35: conv 17, pools 8, 4, 2; fire9 and conv10 at 2×2.
        let r = GradientCheck(h: 2e-3, tolerance: 3e-2, samples: 40, kernels: kernels).run(m, input: Shape(3, 35, 35))
        #expect(r.failures.isEmpty, "\(r.failures.prefix(5))")
        #expect(r.checked == 40)
    }
}
