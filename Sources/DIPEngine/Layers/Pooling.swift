/// 2×2 pooling with stride 2 (floor of odd sizes), as AvgPool2d(2,2) and MaxPool2d(2,2).
public enum PoolKind: Sendable { case average, max }

public final class Pool2x: Module {
    public let kind: PoolKind
    public var needsInputGradient = true
    private var inputShape: Shape?
    private var output: Tensor?
    private var argmax: [Int32] = []       // offset within the 2×2 window (max pooling)

    public init(_ kind: PoolKind) { self.kind = kind }
    public func outputShape(for s: Shape) -> Shape { Shape(s.channels, s.height / 2, s.width / 2) }

    public func forward(_ x: Tensor, _ compute: Compute) -> Tensor {
        inputShape = x.shape
        let y = reuse(&output, outputShape(for: x.shape))
        if kind == .max && argmax.count != y.count { argmax = .init(repeating: 0, count: y.count) }
        let w = x.width, oh = y.height, ow = y.width, kind = kind
        argmax.withUnsafeMutableBufferPointer { am in
            let am = am.baseAddress
            compute.forEachChunk(x.channels) { range in
                for c in range {
                    let src = x.data + c * x.plane, dst = y.data + c * y.plane
                    for oy in 0..<oh {
                        let r0 = src + 2 * oy * w, r1 = r0 + w
                        for ox in 0..<ow {
                            let a = r0[2 * ox], b = r0[2 * ox + 1], cc = r1[2 * ox], d = r1[2 * ox + 1]
                            let o = oy * ow + ox
                            if kind == .average {
                                dst[o] = (a + b + cc + d) * 0.25
                            } else {            // first maximum in scan order, as PyTorch
                                var best = a, at: Int32 = 0
                                if b > best { best = b; at = 1 }
                                if cc > best { best = cc; at = 2 }
                                if d > best { best = d; at = 3 }
                                dst[o] = best; am![c * oh * ow + o] = at
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    public func backward(_ dy: Tensor, _ compute: Compute) -> Tensor? {
        guard needsInputGradient else { return nil }
        guard let s = inputShape else { preconditionFailure("backward before forward") }
        let dx = compute.workspace.gradient(s)
        let w = s.width, oh = dy.height, ow = dy.width, kind = kind
        argmax.withUnsafeBufferPointer { am in
            let am = am.baseAddress
            compute.forEachChunk(s.channels) { range in
                for c in range {
                    let g = dy.data + c * dy.plane, out = dx.data + c * dx.plane
                    out.update(repeating: 0, count: dx.plane)
                    for oy in 0..<oh {
                        for ox in 0..<ow {
                            let v = g[oy * ow + ox]
                            let base = out + 2 * oy * w + 2 * ox
                            if kind == .average {
                                let q = v * 0.25
                                base[0] += q; base[1] += q; base[w] += q; base[w + 1] += q
                            } else {
                                let at = Int(am![c * oh * ow + oy * ow + ox])
                                base[(at >> 1) * w + (at & 1)] += v
                            }
                        }
                    }
                }
            }
        }
        return dx
    }
}
