/// Runs several branches on the same input and stacks their outputs along
/// channels (first branch first). When the branches' sizes differ (images
/// whose sides are not powers of two), every output is centre-cropped to the
/// smallest height and width, offset (size − min)/2, as the reference does.
/// A branch whose output has the full height and width and that can write into a
/// destination (`WritesIntoDestination`) writes straight into its slice of the output.
public final class Concat: Module {
    public let branches: [Module]
    public var needsInputGradient = true {
        didSet { for b in branches { b.needsInputGradient = needsInputGradient } }
    }
    private var output: Tensor?
    private var branchShapes: [Shape] = []

    public init(_ branches: [Module]) { self.branches = branches }

    public var parameters: [Parameter] { branches.flatMap(\.parameters) }

    public func outputShape(for s: Shape) -> Shape {
        let shapes = branches.map { $0.outputShape(for: s) }
        return Shape(shapes.map(\.channels).reduce(0, +), shapes.map(\.height).min()!, shapes.map(\.width).min()!)
    }

    public func forward(_ x: Tensor, _ compute: Compute) -> Tensor {
        let y = reuse(&output, outputShape(for: x.shape))
        let h = y.height, w = y.width
        branchShapes = []
        var c0 = 0
        for branch in branches {
            let shape = branch.outputShape(for: x.shape)
            if shape.height == h && shape.width == w, let direct = branch as? WritesIntoDestination, direct.canWrite(x.shape) {
                direct.forward(x, into: Tensor(viewOf: y, channelOffset: c0, channels: shape.channels), compute)
                if compute.isInterrupted { return y }     // cut short: the caller discards it
                branchShapes.append(shape)
                c0 += shape.channels
                continue
            }
            let o = branch.forward(x, compute)
            if compute.isInterrupted { return o }     // cut short: the caller discards it
            precondition(o.height >= h && o.width >= w && c0 + o.channels <= y.channels, "branch output \(o.shape) does not fit \(y.shape)")
            branchShapes.append(o.shape)
            let oy = (o.height - h) / 2, ox = (o.width - w) / 2
            let base = c0
            compute.forEachChunk(o.channels) { range in
                for c in range {
                    for r in 0..<h {
                        (y.data + ((base + c) * h + r) * w).update(from: o.data + (c * o.height + r + oy) * o.width + ox, count: w)
                    }
                }
            }
            c0 += o.channels
        }
        return y
    }

    public func backward(_ dy: Tensor, _ compute: Compute) -> Tensor? {
        var inputGrads: [Tensor] = []
        var c0 = 0
        for (i, branch) in branches.enumerated() {
            if compute.isInterrupted { return inputGrads.first }    // cut short: shapes may not match
            let s = branchShapes[i]
            let slice = Tensor(viewOf: dy, channelOffset: c0, channels: s.channels)
            var g = slice
            if s.height != dy.height || s.width != dy.width {   // adjoint of the crop: zeros outside
                g = compute.workspace.gradient(s)
                g.zero()
                let oy = (s.height - dy.height) / 2, ox = (s.width - dy.width) / 2
                for c in 0..<s.channels {
                    for r in 0..<dy.height {
                        (g.data + (c * s.height + r + oy) * s.width + ox)
                            .update(from: slice.data + (c * dy.height + r) * dy.width, count: dy.width)
                    }
                }
            }
            let dx = branch.backward(g, compute)
            if g !== slice && dx !== g { compute.workspace.recycle(g) }
            if let dx { inputGrads.append(dx) }
            c0 += s.channels
        }
        guard needsInputGradient, let first = inputGrads.first else { return nil }
        if compute.isInterrupted { return first }
        // Both branches saw the same input: their input gradients add up.
        for other in inputGrads.dropFirst() {
            let d = first.data, o = other.data
            compute.forEachChunk(first.count, grain: 1 << 16) { r in for j in r { d[j] += o[j] } }
            compute.workspace.recycle(other)
        }
        return first
    }
}
