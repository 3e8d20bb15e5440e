import Foundation
import Testing
@testable import DIPEngine

/// The whole skip network against the PyTorch re-implementation in
/// Tests/TorchReference: same configuration, same deterministic parameters
/// and input, then output, loss, every parameter gradient, and one Adam step.
/// Gradient tolerances are tied to how far PyTorch's own float32 gradients are
/// from its float64 ones (`f64_rel_l2`, stored per tensor in the fixture).
@Suite("PyTorch fixtures")
struct TorchFixtureTests {
    struct Fixture: Decodable {
        struct Config: Decodable {
            let input_channels, output_channels: Int
            let channels_down, channels_up, channels_skip, filter_size_down, filter_size_up: [Int]
            let filter_skip_size: Int
            let need_sigmoid, need_bias, need1x1_up: Bool
            let pad: String
            let upsample_mode, downsample_mode: [String]
            let height, width: Int
        }
        struct Param: Decodable { let name: String; let shape: [Int]; let exact_zero_gradient: Bool? }
        struct Summary: Decodable {
            let sum: Double, l2: Double, count: Int
            let values: [Float]?
            let sample_indices: [Int]?
            let sample_values: [Float]?
            let f64_rel_l2: Double?
            let f64_max_abs_diff: Double?
        }
        let config: Config
        let parameters: [Param]
        let output_shape: [Int]
        let output: [Float]
        let loss: Float
        let gradients: [Summary]
        let after_adam_step: [Summary]
    }

    static let fixtureDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func load(_ name: String) throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: fixtureDir.appendingPathComponent(name + ".json")))
    }

    /// The fixtures' splitmix64 stream.
    struct Stream {
        var state: UInt64
        mutating func next() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Double(z >> 40) / 16_777_216
        }
    }

    static func configuration(_ c: Fixture.Config) -> SkipConfiguration {
        SkipConfiguration(inputChannels: c.input_channels, outputChannels: c.output_channels,
                          channelsDown: c.channels_down, channelsUp: c.channels_up, channelsSkip: c.channels_skip,
                          filterSizeDown: c.filter_size_down, filterSizeUp: c.filter_size_up, filterSkipSize: c.filter_skip_size,
                          needSigmoid: c.need_sigmoid, needBias: c.need_bias, padding: Padding(rawValue: c.pad)!,
                          upsampleMode: c.upsample_mode.map { UpsampleMode(rawValue: $0)! },
                          downsampleMode: c.downsample_mode.map { DownsampleMode(rawValue: $0)! },
                          need1x1Up: c.need1x1_up)
    }

    /// Fills parameters by the fixture rule: conv (2u − 1)/√fan_in, BN γ = 0.5 + u, β = 0.1(2u − 1).
    static func fill(_ net: SkipNetwork) {
        var fanIn: [ObjectIdentifier: Int] = [:]
        var gammas = Set<ObjectIdentifier>(), betas = Set<ObjectIdentifier>()
        func walk(_ m: Module) {
            if let s = m as? Sequential { s.modules.forEach(walk) }
            else if let c = m as? Concat { c.branches.forEach(walk) }
            else if let n = m as? NormalizedConv { n.children.forEach(walk) }
            else if let conv = m as? Conv2d { for p in conv.parameters { fanIn[ObjectIdentifier(p)] = conv.fanIn } }
            else if let bn = m as? BatchNorm2d { gammas.insert(ObjectIdentifier(bn.gamma)); betas.insert(ObjectIdentifier(bn.beta)) }
        }
        walk(net.root)
        for (k, p) in net.parameters.enumerated() {
            var s = Stream(state: 1000 + UInt64(k))
            let id = ObjectIdentifier(p)
            for i in 0..<p.count {
                let u = s.next()
                if let f = fanIn[id] { p.value[i] = Float((2 * u - 1) / Double(f).squareRoot()) }
                else if gammas.contains(id) { p.value[i] = Float(0.5 + u) }
                else if betas.contains(id) { p.value[i] = Float(0.1 * (2 * u - 1)) }
                else { Issue.record("parameter \(p.name) of unknown kind") }
            }
        }
    }

    /// (value at index) pairs recorded in a summary.
    static func entries(_ s: Fixture.Summary) -> [(Int, Float)] {
        if let v = s.values { return Array(v.enumerated()) }
        return zip(s.sample_indices ?? [], s.sample_values ?? []).map { ($0, $1) }
    }

    @Test(arguments: ["small_modes", "small_crop", "denoise_64"], InstructionSet.supported)
    func networkMatchesPyTorch(_ name: String, _ kernels: InstructionSet) throws {
        let f = try Self.load(name)
        let net = try SkipNetwork(Self.configuration(f.config))
        // Same tensors in the same order as PyTorch's net.parameters().
        try #require(net.parameters.count == f.parameters.count)
        for (p, q) in zip(net.parameters, f.parameters) { #expect(p.shape == q.shape, "\(p.name) vs \(q.name)") }
        Self.fill(net)

        let h = f.config.height, w = f.config.width
        let z = Tensor(Shape(f.config.input_channels, h, w))
        var s1 = Stream(state: 1)
        for i in 0..<z.count { z.data[i] = Float(0.1 * s1.next()) }
        let target = Tensor(Shape(f.output_shape[0], f.output_shape[1], f.output_shape[2]))
        var s2 = Stream(state: 2)
        for i in 0..<target.count { target.data[i] = Float(s2.next()) }

        let compute = try Compute(threads: 2, instructionSet: kernels)
        net.zeroGrad()
        let out = net.forward(z, compute)
        try #require([out.channels, out.height, out.width] == f.output_shape)
        var worst: Float = 0
        for i in 0..<out.count { worst = max(worst, abs(out.data[i] - f.output[i])) }
        #expect(worst < 2e-4, "\(name): output max |Δ| \(worst)")

        let grad = Tensor(out.shape)
        let loss = MSELoss.evaluate(output: out, target: target, gradient: grad, compute: compute)
        #expect(abs(loss - f.loss) <= 1e-4 * abs(f.loss), "\(name): loss \(loss) vs \(f.loss)")
        net.backward(grad, compute)

        let largest = f.gradients.map(\.l2).max() ?? 1
        for (k, p) in net.parameters.enumerated() {
            let ref = f.gradients[k]
            let e = Self.entries(ref)
            var diff = 0.0, norm = 0.0, ours = 0.0
            for (i, v) in e {
                let d = Double(p.grad[i] - v); diff += d * d; norm += Double(v) * Double(v)
                ours += Double(p.grad[i]) * Double(p.grad[i])
            }
            if f.parameters[k].exact_zero_gradient == true {
                // Zero in exact arithmetic (a bias feeding batch norm): both sides hold rounding noise.
                #expect(ours.squareRoot() <= 1e-4 * largest, "\(name) \(p.name): gradient should vanish, |grad| \(ours.squareRoot())")
                continue
            }
            // Relative to this tensor's gradient, allowing 3× PyTorch's own float32-vs-float64
            // disagreement; a gradient below a millionth of the largest is judged against that.
            let allowed = max(3 * (ref.f64_rel_l2 ?? 0), 2e-3)
            #expect(diff.squareRoot() <= allowed * max(norm.squareRoot(), 1e-6 * largest),
                    "\(name) \(p.name) (\(f.parameters[k].name)): |Δgrad| \(diff.squareRoot()) vs |grad| \(norm.squareRoot())")
            let sum = sumDouble(p.grad, p.count)
            #expect(abs(sum - ref.sum) <= allowed * ref.l2 * Double(p.count).squareRoot(),
                    "\(name) \(p.name): Σgrad \(sum) vs \(ref.sum)")
        }

        // One Adam step (lr 0.01). Where a gradient is ~0 its sign, and so the ±lr step, is
        // noise in either implementation; require agreement on all but a small fraction.
        let adam = Adam(net.parameters, learningRate: 0.01)
        adam.update(compute)
        var checked = 0, off = 0
        for (k, p) in net.parameters.enumerated() where f.parameters[k].exact_zero_gradient != true {
            for (i, v) in Self.entries(f.after_adam_step[k]) {
                checked += 1
                if abs(p.value[i] - v) > 1e-4 { off += 1 }
                #expect(abs(p.value[i] - v) <= 0.0201, "\(name) \(p.name)[\(i)]: \(p.value[i]) vs \(v)")
            }
        }
        #expect(Double(off) <= 0.02 * Double(checked), "\(name): \(off) of \(checked) parameters differ after one Adam step")
    }
}
