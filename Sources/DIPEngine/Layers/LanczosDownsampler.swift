#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The reference's `Downsampler`: a fixed Lanczos kernel applied per channel
/// with stride `factor` after replication padding, so the output is exactly
/// input/factor. It is the degradation model of super-resolution and an
/// optional downsampling mode of the skip network. The 2-D kernel is the outer
/// product of a normalised 1-D kernel, so it runs as two 1-D passes.
public final class LanczosDownsampler: Module {
    public let factor: Int
    public let taps: [Float]            // normalised 1-D kernel
    public let pad: Int
    public var needsInputGradient = true
    private var inputShape: Shape?
    private var output: Tensor?

    /// `support` 2 (lanczos2) or 3 (lanczos3); `phase` 0.5 gives the even-sized
    /// kernel the reference uses.
    public init(factor: Int, support: Int = 2, phase: Double = 0.5) {
        self.factor = factor
        taps = Self.kernel(factor: factor, support: support, phase: phase)
        pad = taps.count % 2 == 1 ? (taps.count - 1) / 2 : (taps.count - factor) / 2
    }

    /// The 1-D Lanczos taps of the reference (`get_kernel`), normalised to sum 1.
    public static func kernel(factor: Int, support: Int, phase: Double) -> [Float] {
        let width = support * 2 * factor + 1
        let size = phase == 0.5 ? width - 1 : width
        let center = Double(width + 1) / 2
        var w: [Double] = []
        for i in 1...size {
            let d = (phase == 0.5 ? abs(Double(i) + 0.5 - center) : abs(Double(i) - center)) / Double(factor)
            if d == 0 { w.append(1); continue }
            let a = Double(support)
            w.append(a * sin(Double.pi * d) * sin(Double.pi * d / a) / (Double.pi * Double.pi * d * d))
        }
        let total = w.reduce(0, +)
        return w.map { Float($0 / total) }
    }

    public func outputShape(for s: Shape) -> Shape {
        Shape(s.channels, (s.height + 2 * pad - taps.count) / factor + 1, (s.width + 2 * pad - taps.count) / factor + 1)
    }

    public func forward(_ x: Tensor, _ compute: Compute) -> Tensor {
        inputShape = x.shape
        let o = outputShape(for: x.shape)
        precondition(o.height > 0 && o.width > 0, "image too small for ×\(factor) downsampling")
        // after the horizontal pass: C × H × Wo
        let mid = Tensor(Shape(x.channels, x.height, o.width), storage: compute.workspace.scratchStorage("lanczos.rows", x.channels * x.height * o.width))
        let y = reuse(&output, o)
        let k = taps, f = factor, p = pad, h = x.height, w = x.width
        compute.forEachChunk(x.channels) { range in
            for c in range {
                let src = x.data + c * x.plane, m = mid.data + c * mid.plane, dst = y.data + c * y.plane
                for r in 0..<h {
                    for ox in 0..<o.width {
                        var s: Float = 0
                        for j in 0..<k.count { s += k[j] * src[r * w + min(max(ox * f + j - p, 0), w - 1)] }
                        m[r * o.width + ox] = s
                    }
                }
                for oy in 0..<o.height {
                    for ox in 0..<o.width {
                        var s: Float = 0
                        for i in 0..<k.count { s += k[i] * m[min(max(oy * f + i - p, 0), h - 1) * o.width + ox] }
                        dst[oy * o.width + ox] = s
                    }
                }
            }
        }
        return y
    }

    public func backward(_ dy: Tensor, _ compute: Compute) -> Tensor? {
        guard needsInputGradient else { return nil }
        guard let s = inputShape else { preconditionFailure("backward before forward") }
        let dmid = Tensor(Shape(s.channels, s.height, dy.width), storage: compute.workspace.scratchStorage("lanczos.rows", s.channels * s.height * dy.width))
        let dx = compute.workspace.gradient(s)
        let k = taps, f = factor, p = pad, h = s.height, w = s.width, ow = dy.width
        compute.forEachChunk(s.channels) { range in
            for c in range {
                let g = dy.data + c * dy.plane, m = dmid.data + c * dmid.plane, out = dx.data + c * dx.plane
                m.update(repeating: 0, count: dmid.plane)
                out.update(repeating: 0, count: dx.plane)
                for oy in 0..<dy.height {
                    for ox in 0..<ow {
                        let v = g[oy * ow + ox]
                        for i in 0..<k.count { m[min(max(oy * f + i - p, 0), h - 1) * ow + ox] += k[i] * v }
                    }
                }
                for r in 0..<h {
                    for ox in 0..<ow {
                        let v = m[r * ow + ox]
                        for j in 0..<k.count { out[r * w + min(max(ox * f + j - p, 0), w - 1)] += k[j] * v }
                    }
                }
            }
        }
        return dx
    }
}
