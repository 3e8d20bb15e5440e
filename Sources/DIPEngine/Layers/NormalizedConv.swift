/// A batch norm (without activation) whose output only the next convolution reads: the
/// skip network's normalised concatenation before each level's up convolution. When the
/// convolution runs by Winograd, the normalisation is applied as it reads its input
/// (a scale and shift per channel), so the normalised tensor is never stored — at 512²
/// the 132-channel full-resolution one is 138 MB — and one pass over it is saved each way.
/// Otherwise the two run one after the other. The parameters stay in PyTorch's order.
public final class NormalizedConv: Module {
    public let norm: BatchNorm2d
    public let conv: Conv2d

    public init(_ norm: BatchNorm2d, _ conv: Conv2d) {
        precondition(norm.activationSlope == nil && norm.channels == conv.inChannels)
        self.norm = norm
        self.conv = conv
        conv.needsInputGradient = true          // the norm's parameters need it
    }

    public var children: [Module] { [norm, conv] }
    public var parameters: [Parameter] { norm.parameters + conv.parameters }
    public var needsInputGradient: Bool {
        get { norm.needsInputGradient }
        set { norm.needsInputGradient = newValue }
    }
    public func outputShape(for s: Shape) -> Shape { conv.outputShape(for: s) }

    public func forward(_ x: Tensor, _ compute: Compute) -> Tensor {
        guard conv.usesWinograd(compute) else {
            let y = timed(norm, .forward, x.shape, compute) { norm.forward(x, compute) }
            return timed(conv, .forward, x.shape, compute) { conv.forward(y, compute) }
        }
        let affine = timed(norm, .forward, x.shape, compute) { norm.normalization(x, compute) }
        return timed(conv, .forward, x.shape, compute) { conv.forward(x, affine: affine, compute) }
    }

    public func backward(_ dy: Tensor, _ compute: Compute) -> Tensor? {
        guard let d = timed(conv, .backward, dy.shape, compute, { conv.backward(dy, compute) }) else { return nil }
        return timed(norm, .backward, d.shape, compute) { norm.backward(d, compute) }
    }

    /// Each part's time under its own kind when the pass is profiled.
    private func timed<T>(_ m: Module, _ pass: LayerProfile.Pass, _ shape: Shape, _ compute: Compute, _ body: () -> T) -> T {
        guard let profile = compute.profile else { return body() }
        return profile.run(m, pass, shape, body)
    }
}
