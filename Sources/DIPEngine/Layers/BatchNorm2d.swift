/// Batch normalisation with the statistics of the one image being fitted
/// (per channel, over H×W, biased variance) — the reference never switches
/// to eval mode, so this is what it computes at every step, including the
/// final output. Affine γ, β. Backward works in place on the incoming gradient.
///
/// With `activationSlope` set, the LeakyReLU that follows in the network is applied in
/// the same pass (max(y, slope·y); 0 is ReLU), and its backward in the first pass of
/// this one's: two fewer passes over the tensor each way.
public final class BatchNorm2d: Module {
    public let channels: Int
    public let eps: Float
    public let gamma: Parameter
    public let beta: Parameter
    public var needsInputGradient = true
    /// The slope of a LeakyReLU applied after the normalisation; nil: none.
    public var activationSlope: Float?
    /// The statistics of the input as the layer that wrote it summed them (see `ChannelSums`);
    /// used when they are of the tensor this layer is given, else it sums itself.
    var inputSums: ChannelSums?
    /// Whether the last forward pass took its statistics from `inputSums`.
    private(set) var usedInputSums = false

    private var input: Tensor?
    private var output: Tensor?
    private var mean: [Float] = []
    private var invStd: [Float] = []

    public init(_ channels: Int, eps: Float = 1e-5, activationSlope: Float? = nil, name: String = "bn") {
        self.channels = channels; self.eps = eps; self.activationSlope = activationSlope
        gamma = Parameter(name: name + ".weight", shape: [channels])
        beta = Parameter(name: name + ".bias", shape: [channels])
        gamma.values = Array(repeating: 1, count: channels)
    }

    public var parameters: [Parameter] { [gamma, beta] }
    public func outputShape(for s: Shape) -> Shape { s }

    public func forward(_ x: Tensor, _ compute: Compute) -> Tensor {
        let y = reuse(&output, x.shape)
        normalize(x, into: y, compute)
        return y
    }

    /// The per-channel scale γ·istd and shift β − μ·γ·istd that normalise x, with x kept
    /// for backward but no output written: for a convolution that applies them as it
    /// reads x (`NormalizedConv`). Only without an activation.
    func normalization(_ x: Tensor, _ compute: Compute) -> (scale: [Float], shift: [Float]) {
        precondition(activationSlope == nil, "a folded batch norm has no activation")
        normalize(x, into: nil, compute)
        let g = gamma.value, b = beta.value
        let scale = (0..<channels).map { g[$0] * invStd[$0] }
        return (scale, (0..<channels).map { b[$0] - mean[$0] * scale[$0] })
    }

    /// The statistics of x, and with `y` the normalised (and activated) output.
    private func normalize(_ x: Tensor, into y: Tensor?, _ compute: Compute) {
        precondition(x.channels == channels, "batch norm expects \(channels) channels, got \(x.channels)")
        input = x
        if mean.count != channels { mean = .init(repeating: 0, count: channels); invStd = mean }
        let n = x.plane, g = gamma.value, b = beta.value, eps = eps
        let act = activationSlope != nil, slope = activationSlope ?? 1
        let given = inputSums.flatMap { $0.tensor == x.data && $0.channels == channels ? $0 : nil }
        usedInputSums = given != nil
        mean.withUnsafeMutableBufferPointer { mp in
            invStd.withUnsafeMutableBufferPointer { sp in
                let mp = mp.baseAddress!, sp = sp.baseAddress!
                compute.forEachChunk(channels) { range in
                    for c in range {
                        let src = x.data + c * n
                        let variance: Double, mf: Float
                        if let given {
                            // E[x²] − μ² from sums in double: as exact as the two passes
                            // below for float data unless |μ| > 10⁴·σ.
                            let (s, q) = given.total(c)
                            let m = s / Double(n)
                            mf = Float(m); variance = max(0, q / Double(n) - m * m)
                        } else {
                            let m = sumDouble(src, n) / Double(n)
                            mf = Float(m)
                            // Two-pass variance: Σ(x − μ)², robust when |μ| ≫ σ.
                            variance = centredSquares(src, n, mean: mf) / Double(n)
                        }
                        let istd = Float(1 / (variance + Double(eps)).squareRoot())
                        mp[c] = mf; sp[c] = istd
                        guard let y else { continue }
                        let dst = y.data + c * n
                        let scale = g[c] * istd, shift = b[c] - mf * scale
                        if act {
                            for i in 0..<n { let v = src[i] * scale + shift; dst[i] = v > 0 ? v : v * slope }
                        } else {
                            for i in 0..<n { dst[i] = src[i] * scale + shift }
                        }
                    }
                }
            }
        }
    }

    public func backward(_ dy: Tensor, _ compute: Compute) -> Tensor? {
        guard let x = input else { preconditionFailure("backward before forward") }
        let n = x.plane, g = gamma.value, dg = gamma.grad, db = beta.grad
        let want = needsInputGradient
        let gate: UnsafeMutablePointer<Float>? = activationSlope != nil ? output!.data : nil, slope = activationSlope ?? 1
        mean.withUnsafeBufferPointer { mp in
            invStd.withUnsafeBufferPointer { sp in
                let mp = mp.baseAddress!, sp = sp.baseAddress!
                compute.forEachChunk(channels) { range in
                    for c in range {
                        let xs = x.data + c * n, d = dy.data + c * n
                        let m = mp[c], istd = sp[c]
                        // The activation's backward first (in place), then Σdy and Σdy·x̂ with x̂ = (x − μ)·istd
                        let (sdy, sdxRaw) = gatedSums(d, xs, n, gate: gate.map { UnsafePointer($0 + c * n) }, slope: slope)
                        let sdyx = sdxRaw - Double(m) * sdy
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
