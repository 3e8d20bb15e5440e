/// ×2 upsampling, as nn.Upsample(scale_factor=2): nearest (out[y,x] = in[y/2,x/2])
/// or bilinear with align_corners=False (source = (dst + 0.5)/2 − 0.5, clamped at 0).
public enum UpsampleMode: String, Sendable, Codable, CaseIterable { case nearest, bilinear }

public final class Upsample2x: WritesIntoDestination {
    public let mode: UpsampleMode
    public var needsInputGradient = true
    private var inputShape: Shape?
    private var output: Tensor?
    private var cachedTaps: (height: Int, width: Int, rows: Taps, columns: Taps)?

    public init(_ mode: UpsampleMode) { self.mode = mode }
    public func outputShape(for s: Shape) -> Shape { Shape(s.channels, s.height * 2, s.width * 2) }

    /// Bilinear taps along one axis: for each output index, two source indices and weights.
    struct Taps { var i0: [Int]; var i1: [Int]; var w0: [Float]; var w1: [Float] }
    static func taps(_ n: Int, _ mode: UpsampleMode) -> Taps {
        var t = Taps(i0: [], i1: [], w0: [], w1: [])
        for o in 0..<(2 * n) {
            if mode == .nearest { t.i0.append(o / 2); t.i1.append(o / 2); t.w0.append(1); t.w1.append(0); continue }
            let src = max(Float(o) * 0.5 + 0.25 - 0.5, 0)   // (o + 0.5)/2 − 0.5
            let i0 = min(Int(src), n - 1)
            let i1 = min(i0 + 1, n - 1)
            let l = src - Float(i0)
            t.i0.append(i0); t.i1.append(i1); t.w0.append(1 - l); t.w1.append(l)
        }
        return t
    }

    /// Row and column taps for an input size, computed once per size.
    private func taps(for s: Shape) -> (Taps, Taps) {
        if let c = cachedTaps, c.height == s.height, c.width == s.width { return (c.rows, c.columns) }
        let t = (Self.taps(s.height, mode), Self.taps(s.width, mode))
        cachedTaps = (s.height, s.width, t.0, t.1)
        return t
    }

    public func forward(_ x: Tensor, _ compute: Compute) -> Tensor {
        let y = reuse(&output, outputShape(for: x.shape))
        forward(x, into: y, compute)
        return y
    }

    /// Backward needs only the input's shape.
    public func canWrite(_ input: Shape) -> Bool { true }

    public func forward(_ x: Tensor, into y: Tensor, _ compute: Compute) {
        precondition(y.shape == outputShape(for: x.shape))
        inputShape = x.shape
        let (ty, tx) = taps(for: x.shape)
        let w = x.width, ow = y.width
        compute.forEachChunk(x.channels) { range in
            for c in range {
                let src = x.data + c * x.plane, dst = y.data + c * y.plane
                for oy in 0..<y.height {
                    let r0 = src + ty.i0[oy] * w, r1 = src + ty.i1[oy] * w
                    let a = ty.w0[oy], b = ty.w1[oy]
                    let out = dst + oy * ow
                    if self.mode == .nearest {
                        for ox in 0..<ow { out[ox] = r0[ox >> 1] }
                    } else {
                        for ox in 0..<ow {
                            let j0 = tx.i0[ox], j1 = tx.i1[ox]
                            out[ox] = a * (tx.w0[ox] * r0[j0] + tx.w1[ox] * r0[j1])
                                    + b * (tx.w0[ox] * r1[j0] + tx.w1[ox] * r1[j1])
                        }
                    }
                }
            }
        }
    }

    public func backward(_ dy: Tensor, _ compute: Compute) -> Tensor? {
        guard needsInputGradient else { return nil }
        guard let s = inputShape else { preconditionFailure("backward before forward") }
        let dx = compute.workspace.gradient(s)
        let (ty, tx) = taps(for: s)
        let w = s.width, ow = dy.width
        compute.forEachChunk(s.channels) { range in
            for c in range {
                let g = dy.data + c * dy.plane, out = dx.data + c * dx.plane
                out.update(repeating: 0, count: dx.plane)
                for oy in 0..<dy.height {
                    let r0 = out + ty.i0[oy] * w, r1 = out + ty.i1[oy] * w
                    let a = ty.w0[oy], b = ty.w1[oy]
                    let grow = g + oy * ow
                    for ox in 0..<ow {
                        let v = grow[ox]
                        let j0 = tx.i0[ox], j1 = tx.i1[ox]
                        let v0 = tx.w0[ox] * v, v1 = tx.w1[ox] * v
                        r0[j0] += a * v0; r0[j1] += a * v1
                        r1[j0] += b * v0; r1[j1] += b * v1
                    }
                }
            }
        }
        return dx
    }
}
