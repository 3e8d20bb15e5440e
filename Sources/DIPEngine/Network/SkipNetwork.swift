/// The reference's encoder–decoder "skip" network (models/skip.py), built as
/// nested Sequential/Concat modules in the reference's module order, so that
/// `parameters` lists tensors in the same order as PyTorch's net.parameters().
///
/// level_i(x) = Concat(skip_i(x), Upsample(level_{i+1}(down_i(x)))) → BN → conv_up → BN → act
///              [→ conv1×1 → BN → act]; net(z) = [Sigmoid](conv1×1(level_0(z))).
public final class SkipNetwork {
    public let configuration: SkipConfiguration
    public let root: Sequential
    public let parameters: [Parameter]

    public init(_ config: SkipConfiguration) throws {
        try config.validate()
        configuration = config
        root = Self.build(config)
        root.needsInputGradient = false      // the input is fixed noise: no gradient needed
        parameters = root.parameters
    }

    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    public enum SizeError: Error, Equatable, CustomStringConvertible {
        case outputSizeMismatch(input: Shape, output: Shape)
        public var description: String {
            switch self {
            case let .outputSizeMismatch(i, o):
                return "the network maps \(i.height)×\(i.width) to \(o.height)×\(o.width); use a size whose halvings stay even, such as a multiple of \(1 << 5)"
            }
        }
    }

    /// The output shape for an input of this height and width; throws when the
    /// levels' sizes do not come back to the input's size.
    public func checkedOutputShape(height: Int, width: Int) throws -> Shape {
        let input = Shape(configuration.inputChannels, height, width)
        let out = root.outputShape(for: input)
        guard out.height == height, out.width == width, height > 0, width > 0 else {
            throw SizeError.outputSizeMismatch(input: input, output: out)
        }
        return out
    }

    public func forward(_ z: Tensor, _ compute: Compute) -> Tensor { root.forward(z, compute) }

    /// Backpropagates dLoss/dOutput; parameter gradients accumulate. Returns dLoss/dInput when
    /// `root.needsInputGradient` is set (a fitted input), else nil.
    @discardableResult
    public func backward(_ dy: Tensor, _ compute: Compute) -> Tensor? { root.backward(dy, compute) }

    public func zeroGrad() { for p in parameters { p.zeroGrad() } }

    /// PyTorch's default initialisation: conv weights and biases ~ U(−b, b) with
    /// b = 1/√fan_in; BatchNorm β = 0 and γ as chosen.
    public func initialize(seed: UInt64, batchNorm: BatchNormInit = .uniform) {
        var rng = RandomSource(seed: seed, stream: 0x1A17)
        for m in allModules(root) {
            if let c = m as? Conv2d {
                let b = Float(1 / Double(c.fanIn).squareRoot())
                for p in c.parameters {
                    for i in 0..<p.count { p.value[i] = (2 * rng.uniform() - 1) * b }
                }
            } else if let bn = m as? BatchNorm2d {
                for i in 0..<bn.channels {
                    bn.gamma.value[i] = batchNorm == .uniform ? rng.uniform() : 1
                    bn.beta.value[i] = 0
                }
            }
        }
    }

    private func allModules(_ m: Module) -> [Module] {
        if let s = m as? Sequential { return s.modules.flatMap(allModules) }
        if let c = m as? Concat { return c.branches.flatMap(allModules) }
        if let n = m as? NormalizedConv { return n.children }
        return [m]
    }

    // MARK: - construction, following models/skip.py

    private static func build(_ c: SkipConfiguration) -> Sequential {
        let n = c.levels
        let model = Sequential()
        var current = model
        var inputDepth = c.inputChannels
        for i in 0..<n {
            let name = "level\(i)"
            let deeper = Sequential(), skip = Sequential()
            if c.channelsSkip[i] != 0 {
                current.append(Concat([skip, deeper]))
            } else {
                current.append(deeper)
            }
            let k = i < n - 1 ? c.channelsUp[i + 1] : c.channelsDown[i]
            let normConcat = BatchNorm2d(c.channelsSkip[i] + k, name: name + ".bn_concat")
            if c.channelsSkip[i] != 0 {
                append(conv(inputDepth, c.channelsSkip[i], c.filterSkipSize, 1, .stride, c, name + ".skip"), to: skip)
                appendNorm(BatchNorm2d(c.channelsSkip[i], name: name + ".skip.bn"), to: skip)
                appendActivation(c.activation, to: skip)
            }
            let fd = c.at(c.filterSizeDown, i)
            append(conv(inputDepth, c.channelsDown[i], fd, 2, c.at(c.downsampleMode, i), c, name + ".down1"), to: deeper)
            appendNorm(BatchNorm2d(c.channelsDown[i], name: name + ".down1.bn"), to: deeper)
            appendActivation(c.activation, to: deeper)
            append(conv(c.channelsDown[i], c.channelsDown[i], fd, 1, .stride, c, name + ".down2"), to: deeper)
            appendNorm(BatchNorm2d(c.channelsDown[i], name: name + ".down2.bn"), to: deeper)
            appendActivation(c.activation, to: deeper)
            let deeperMain = Sequential()
            if i < n - 1 { deeper.append(deeperMain) }
            deeper.append(Upsample2x(c.at(c.upsampleMode, i)))

            // The normalised concatenation is read by the up convolution alone: folded into it.
            let up = conv(c.channelsSkip[i] + k, c.channelsUp[i], c.at(c.filterSizeUp, i), 1, .stride, c, name + ".up")
            if up.count == 1, let upConv = up[0] as? Conv2d {
                current.append(NormalizedConv(normConcat, upConv))
            } else {
                current.append(normConcat)
                append(up, to: current)
            }
            appendNorm(BatchNorm2d(c.channelsUp[i], name: name + ".up.bn"), to: current)
            appendActivation(c.activation, to: current)
            if c.need1x1Up {
                append(conv(c.channelsUp[i], c.channelsUp[i], 1, 1, .stride, c, name + ".up1x1"), to: current)
                appendNorm(BatchNorm2d(c.channelsUp[i], name: name + ".up1x1.bn"), to: current)
                appendActivation(c.activation, to: current)
            }
            inputDepth = c.channelsDown[i]
            current = deeperMain
        }
        append(conv(c.channelsUp[0], c.outputChannels, 1, 1, .stride, c, "out"), to: model)
        if c.needSigmoid { model.append(Sigmoid()) }
        return model
    }

    /// The reference's conv(): a stride-2 request with a pooling mode becomes a
    /// stride-1 conv followed by the pool or the Lanczos downsampler.
    private static func conv(_ cin: Int, _ cout: Int, _ k: Int, _ stride: Int, _ mode: DownsampleMode,
                             _ c: SkipConfiguration, _ name: String) -> [Module] {
        let convStride = stride != 1 && mode == .stride ? stride : 1
        var layers: [Module] = [Conv2d(cin, cout, kernel: k, stride: convStride, padding: c.padding, bias: c.needBias, name: name)]
        if stride != 1 {
            switch mode {
            case .stride: break
            case .avg: layers.append(Pool2x(.average))
            case .max: layers.append(Pool2x(.max))
            case .lanczos2: layers.append(LanczosDownsampler(factor: stride, support: 2))
            case .lanczos3: layers.append(LanczosDownsampler(factor: stride, support: 3))
            }
        }
        return layers
    }

    private static func append(_ layers: [Module], to s: Sequential) { for l in layers { s.append(l) } }

    /// A batch norm right after a convolution takes its statistics from the convolution's
    /// output pass (not after a pooling or Lanczos downsampler, which write their own).
    private static func appendNorm(_ bn: BatchNorm2d, to s: Sequential) {
        if let conv = s.modules.last as? Conv2d {
            bn.inputSums = conv.sumsOutput()
        } else if let folded = s.modules.last as? NormalizedConv {
            bn.inputSums = folded.conv.sumsOutput()
        }
        s.append(bn)
    }

    /// The activation after a batch norm is done by the batch norm itself (one pass less
    /// each way); the module list keeps PyTorch's parameter order either way.
    private static func appendActivation(_ kind: ActivationKind, to s: Sequential) {
        let slope: Float
        switch kind {
        case .leakyReLU: slope = 0.2
        case .relu: slope = 0
        case .none: return
        }
        if let bn = s.modules.last as? BatchNorm2d, bn.activationSlope == nil {
            bn.activationSlope = slope
        } else {
            s.append(LeakyReLU(slope: slope))
        }
    }
}
