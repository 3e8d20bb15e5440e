/// Batch normalisation with the statistics of the one image being fitted
/// (per channel, over H×W, biased variance) — the reference never switches
/// to eval mode, so this is what it computes at every step, including the
/// final output. Affine γ, β. Backward works in place on the incoming gradient.
public final class BatchNorm2d: Module {
    public let channels: Int
    public let eps: Float
    public let gamma: Parameter
    public let beta: Parameter
    public var needsInputGradient = true

    private var input: Tensor?
    private var output: Tensor?
    private var mean: [Float] = []
    private var invStd: [Float] = []

    public init(_ channels: Int, eps: Float = 1e-5, name: String = "bn") {
        self.channels = channels; self.eps = eps
        gamma = Parameter(name: name + ".weight", shape: [channels])
        beta = Parameter(name: name + ".bias", shape: [channels])
        gamma.values = Array(repeating: 1, count: channels)
    }

    public var parameters: [Parameter] { [gamma, beta] }
    public func outputShape(for s: Shape) -> Shape { s }

    public func forward(_ x: Tensor, _ compute: Compute) -> Tensor {
        precondition(x.channels == channels, "batch norm expects \(channels) channels, got \(x.channels)")
        input = x
        let y = reuse(&output, x.shape)
        if mean.count != channels { mean = .init(repeating: 0, count: channels); invStd = mean }
        let n = x.plane, g = gamma.value, b = beta.value, eps = eps
        mean.withUnsafeMutableBufferPointer { mp in
            invStd.withUnsafeMutableBufferPointer { sp in
                let mp = mp.baseAddress!, sp = sp.baseAddress!
                compute.forEachChunk(channels) { range in
                    for c in range {
                        let src = x.data + c * n, dst = y.data + c * n
                        let m = sumDouble(src, n) / Double(n)
                        let mf = Float(m)
                        // Two-pass variance: Σ(x − μ)², robust when |μ| ≫ σ.
                        let v = centredSquares(src, n, mean: mf)
                        let istd = Float(1 / (v / Double(n) + Double(eps)).squareRoot())
                        mp[c] = mf; sp[c] = istd
                        let scale = g[c] * istd, shift = b[c] - mf * scale
                        for i in 0..<n { dst[i] = src[i] * scale + shift }
                    }
                }
            }
        }
        return y
    }

    public func backward(_ dy: Tensor, _ compute: Compute) -> Tensor? {
        guard let x = input else { preconditionFailure("backward before forward") }
        let n = x.plane, g = gamma.value, dg = gamma.grad, db = beta.grad
        let want = needsInputGradient
        mean.withUnsafeBufferPointer { mp in
            invStd.withUnsafeBufferPointer { sp in
                let mp = mp.baseAddress!, sp = sp.baseAddress!
                compute.forEachChunk(channels) { range in
                    for c in range {
                        let xs = x.data + c * n, d = dy.data + c * n
                        let m = mp[c], istd = sp[c]
                        // Σdy and Σdy·x̂ with x̂ = (x − μ)·istd
                        let sdy = sumDouble(d, n)
                        let sdyx = dotDouble(d, xs, n) - Double(m) * sdy
                        let sdyxhat = sdyx * Double(istd)
                        dg[c] += Float(sdyxhat); db[c] += Float(sdy)
                        guard want else { continue }
                        // dx = γ·istd·(dy − mean(dy) − x̂·mean(dy·x̂))
                        let k = g[c] * istd
                        let meanDy = Float(sdy / Double(n)), meanDyXhat = Float(sdyxhat / Double(n))
                        for i in 0..<n {
                            let xhat = (xs[i] - m) * istd
                            d[i] = k * (d[i] - meanDy - xhat * meanDyXhat)
                        }
                    }
                }
            }
        }
        return want ? dy : nil
    }
}
