/// Mean over each channel's plane: C×H×W → C×1×1 (nn.AdaptiveAvgPool2d(1)).
public final class GlobalAveragePool: Module {
    public var needsInputGradient = true
    private var inputShape: Shape?
    private var output: Tensor?

    public init() {}
    public func outputShape(for s: Shape) -> Shape { Shape(s.channels, 1, 1) }

    public func forward(_ x: Tensor, _ compute: Compute) -> Tensor {
        inputShape = x.shape
        let y = reuse(&output, outputShape(for: x.shape))
        for c in 0..<x.channels { y.data[c] = sum(x.data + c * x.plane, x.plane) / Float(x.plane) }
        return y
    }

    public func backward(_ dy: Tensor, _ compute: Compute) -> Tensor? {
        guard needsInputGradient else { return nil }
        guard let s = inputShape else { preconditionFailure("backward before forward") }
        let dx = compute.workspace.gradient(s)
        let scale = 1 / Float(s.height * s.width)
        for c in 0..<s.channels { (dx.data + c * dx.plane).update(repeating: dy.data[c] * scale, count: dx.plane) }
        return dx
    }
}

/// Per-channel (x − mean) / std, e.g. the ImageNet normalisation in front of a
/// torchvision classifier. Fixed constants, no parameters; works on a copy, so
/// the image it is given stays as it was.
public final class ChannelNormalization: Module {
    public let mean: [Float], std: [Float]
    public var needsInputGradient = true
    private var output: Tensor?
    private var gradient: Tensor?

    /// torchvision's ImageNet statistics (RGB).
    public static var imageNet: ChannelNormalization {
        ChannelNormalization(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
    }

    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == std.count && std.allSatisfy { $0 > 0 })
        self.mean = mean; self.std = std
    }
    public func outputShape(for s: Shape) -> Shape { s }

    public func forward(_ x: Tensor, _ compute: Compute) -> Tensor {
        precondition(x.channels == mean.count, "normalisation expects \(mean.count) channels, got \(x.channels)")
        let y = reuse(&output, x.shape)
        for c in 0..<x.channels {
            let src = x.data + c * x.plane, dst = y.data + c * x.plane, m = mean[c], inv = 1 / std[c]
            for i in 0..<x.plane { dst[i] = (src[i] - m) * inv }
        }
        return y
    }

    public func backward(_ dy: Tensor, _ compute: Compute) -> Tensor? {
        guard needsInputGradient else { return nil }
        let dx = reuse(&gradient, dy.shape)
        for c in 0..<dy.channels {
            let src = dy.data + c * dy.plane, dst = dx.data + c * dx.plane, inv = 1 / std[c]
            for i in 0..<dy.plane { dst[i] = src[i] * inv }
        }
        return dx
    }
}
