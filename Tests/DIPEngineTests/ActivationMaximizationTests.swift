import Testing
@testable import DIPEngine

/// Activation maximization's objective: its value, its gradient against finite differences,
/// the window it reads, and a short fit that raises the class's score.
@Suite("Activation maximization")
struct ActivationMaximizationTests {
    static func output(_ shape: Shape, seed: UInt64) -> Tensor {
        var rng = RandomSource(seed: seed)
        let t = Tensor(shape)
        for i in 0..<t.count { t.data[i] = rng.uniform() }
        return t
    }

    @Test(arguments: [SqueezeNetLayer.conv10, .fire9])
    func lossIsTheChannelsScaledMeanAndItsGradientMatchesFiniteDifferences(_ layer: SqueezeNetLayer) throws {
        let net = try ClassifierGradientTests.randomSqueezeNet()
        let compute = Compute(threads: 2)
        let channel = layer == .conv10 ? 417 : 300
        let objective = FitActivation(classifier: net, layer: layer, channel: channel, size: 35, outputShape: Shape(3, 40, 40), scale: 5)
        let x = Self.output(Shape(3, 40, 40), seed: 3)
        let gradient = Tensor(x.shape)
        let loss = objective.loss(output: x, gradient: gradient, compute: compute)

        // The value, from the truncated classifier on the top-left 35×35 window.
        let crop = Tensor(Shape(3, 35, 35))
        x.copyTopLeft(into: crop)
        let features = net.network(upTo: layer).forward(crop, compute)
        let plane = features.height * features.width
        let mean = (0..<plane).reduce(Float(0)) { $0 + features.data[channel * plane + $1] } / Float(plane)
        #expect(abs(loss - (-5 * mean)) <= 1e-4 * max(1, abs(loss)), "loss \(loss), −5 × mean \(-5 * mean)")

        // Outside the window the output does not matter.
        for c in 0..<3 { for y in 0..<40 { for xx in 35..<40 { #expect(gradient.data[(c * 40 + y) * 40 + xx] == 0) } } }

        // Central differences at pixels spread over the window, where the gradient is not tiny.
        var rng = RandomSource(seed: 9)
        var checked = 0, failures: [String] = [], far: [String] = []
        let scale = (0..<gradient.count).reduce(Float(0)) { max($0, abs(gradient.data[$1])) }
        for _ in 0..<400 where checked < 30 {
            let i = Int(rng.uniform() * Float(3 * 35 * 35)) % (3 * 35 * 35)
            let (c, y, xx) = (i / (35 * 35), (i / 35) % 35, i % 35)
            let at = (c * 40 + y) * 40 + xx
            guard abs(gradient.data[at]) > 0.05 * scale else { continue }
            let h: Float = 2e-3, saved = x.data[at]
            let scratch = Tensor(x.shape)
            x.data[at] = saved + h
            let up = objective.loss(output: x, gradient: scratch, compute: compute)
            x.data[at] = saved - h
            let down = objective.loss(output: x, gradient: scratch, compute: compute)
            x.data[at] = saved
            let numeric = (up - down) / (2 * h)
            let error = abs(numeric - gradient.data[at])
            if error > 3e-2 * abs(gradient.data[at]) + 1e-3 * scale {
                failures.append("(\(c),\(y),\(xx)): analytic \(gradient.data[at]), numeric \(numeric)")
            }
            if error > 0.15 * abs(gradient.data[at]) + 1e-3 * scale { far.append(failures.last ?? "") }
            checked += 1
        }
        // A finite difference that straddles a ReLU's kink may miss by a few per cent: at most
        // two of thirty may, and none by much; a wrong gradient (sign, scale, window) misses everywhere.
        #expect(checked >= 20 && failures.count <= 2 && far.isEmpty, "\(checked) checked: \(failures.prefix(5))")
    }

    @Test func aShortFitRaisesTheClassScore() throws {
        let net = try ClassifierGradientTests.randomSqueezeNet()
        var task = ActivationMaximizationTask.reference(classifier: net, channel: 7, size: 48)
        task.network = SkipConfiguration(inputChannels: 8, outputChannels: 3, channelsDown: [8, 8], channelsUp: [8, 8],
                                         channelsSkip: [0, 4], filterSizeDown: [3, 3], filterSizeUp: [3, 3],
                                         padding: .reflection, upsampleMode: [.bilinear], downsampleMode: [.avg])
        task.settings.iterations = 60
        task.settings.threads = 2
        var losses: [Float] = []
        let result = try task.run(onProgress: { losses.append($0.loss) })
        #expect(result.image.shape == Shape(3, 48, 48))
        #expect(losses.count == 60)
        // The loss is −5 × the class's mean score: it must come down, well past its start.
        let first = losses.prefix(5).reduce(0, +) / 5, last = losses.suffix(5).reduce(0, +) / 5
        #expect(last < first - 0.1 * abs(first) - 0.05, "loss \(first) → \(last)")
        #expect(throws: TaskInputError.self) {
            _ = try ActivationMaximizationTask.reference(classifier: net, channel: 1000, size: 48).run()
        }
    }

    /// Without the network, the pixels themselves are fitted: Adam's first step moves every pixel
    /// against its gradient (by about the learning rate in the sigmoid's argument), and a short fit
    /// raises the class's score as the network's does.
    @Test func thePixelParametrisationStepsEachPixelAgainstItsGradient() throws {
        let net = try ClassifierGradientTests.randomSqueezeNet()
        var task = ActivationMaximizationTask.reference(classifier: net, channel: 7, size: 40)
        task.parametrisation = .pixels
        task.settings.threads = 2
        task.settings.iterations = 0
        let start = try task.run().image
        task.settings.iterations = 1
        let stepped = try task.run().image
        #expect(start.shape == Shape(3, 40, 40) && stepped.shape == start.shape)
        #expect((0..<start.count).allSatisfy { start.data[$0] > 0.45 && start.data[$0] < 0.55 }, "a grey start")

        let objective = FitActivation(classifier: net, layer: .conv10, channel: 7, size: 40, outputShape: start.shape, scale: 5)
        let gradient = Tensor(start.shape)
        _ = objective.loss(output: start, gradient: gradient, compute: Compute(threads: 2))
        let scale = (0..<gradient.count).reduce(Float(0)) { max($0, abs(gradient.data[$1])) }
        var against = 0, moved = 0
        for i in 0..<start.count where abs(gradient.data[i]) > 1e-3 * scale {
            let dx = stepped.data[i] - start.data[i]
            moved += 1
            if dx * gradient.data[i] < 0 { against += 1 }
        }
        #expect(moved > start.count / 2 && against == moved, "\(against) of \(moved) pixels stepped against their gradient")

        task.settings.iterations = 40
        var losses: [Float] = []
        _ = try task.run(onProgress: { losses.append($0.loss) })
        #expect(losses.count == 40)
        let first = losses.prefix(3).reduce(0, +) / 3, last = losses.suffix(3).reduce(0, +) / 3
        #expect(last < first - 0.1 * abs(first) - 0.05, "loss \(first) → \(last)")
    }
}
