/// L-BFGS as torch.optim.LBFGS without a line search (`line_search_fn=None`,
/// the only form the reference uses): one `step` runs up to `maxIterations`
/// iterations of the two-loop recursion over the last `historySize` curvature
/// pairs, each moving the parameters by a fixed step `learningRate` along the
/// search direction (the first iteration's step is scaled by min(1, 1/‖g‖₁)).
/// The closure computes the loss and the parameters' gradients; it runs once
/// at the start and once after every iteration but the last. Stops as torch
/// does: after `maxIterations`, after `maxEvaluations` closure calls, when
/// the gradient is below `toleranceGrad`, or the step, loss change or
/// directional derivative is below `toleranceChange`; also when the closure
/// returns nil (cancelled).
///
/// Memory: 2 · historySize · (parameter count) floats once the history is full.
public final class LBFGS {
    public var learningRate: Float
    public let historySize: Int
    public let toleranceGrad: Float
    public let toleranceChange: Float
    private let parameters: [Parameter]
    private let n: Int
    // Curvature pairs y = Δg, s = Δθ with ρ = 1 / yᵀs, oldest first.
    private var ys: [[Float]] = [], ss: [[Float]] = [], rho: [Double] = []
    /// Closure evaluations made so far.
    public private(set) var evaluations = 0

    public init(_ parameters: [Parameter], learningRate: Float = 1, historySize: Int = 100,
                toleranceGrad: Float = 1e-7, toleranceChange: Float = 1e-9) {
        precondition(historySize >= 1)
        self.parameters = parameters; self.learningRate = learningRate; self.historySize = historySize
        self.toleranceGrad = toleranceGrad; self.toleranceChange = toleranceChange
        n = parameters.reduce(0) { $0 + $1.count }
    }

    /// One torch `step(closure)`. `maxEvaluations` defaults to torch's max_iter · 5 / 4.
    @discardableResult
    public func step(maxIterations: Int = 20, maxEvaluations: Int? = nil, _ closure: () -> Float?) -> Float? {
        let maxEval = maxEvaluations ?? maxIterations * 5 / 4
        guard let firstLoss = closure() else { return nil }
        var loss = firstLoss
        evaluations += 1
        var currentEvals = 1
        var g = gatherGradient()
        if maxAbs(g) <= toleranceGrad { return firstLoss }

        var d = [Float](repeating: 0, count: n), prevG = g
        var t: Float = 0, hDiag: Double = 1
        var iteration = 0
        var al = [Double](repeating: 0, count: historySize)
        while iteration < maxIterations {
            iteration += 1
            if iteration == 1 {
                for i in 0..<n { d[i] = -g[i] }
                ys = []; ss = []; rho = []; hDiag = 1
            } else {
                var y = g, s = d
                for i in 0..<n { y[i] -= prevG[i]; s[i] *= t }
                let yDotS = dot(y, s)
                if yDotS > 1e-10 {
                    if ys.count == historySize { ys.removeFirst(); ss.removeFirst(); rho.removeFirst() }
                    ys.append(y); ss.append(s); rho.append(1 / yDotS)
                    hDiag = yDotS / dot(y, y)
                }
                // Two-loop recursion: d = −H·g.
                for i in 0..<n { d[i] = -g[i] }
                for k in stride(from: ys.count - 1, through: 0, by: -1) {
                    al[k] = dot(ss[k], d) * rho[k]
                    axpy(Float(-al[k]), ys[k], &d)
                }
                let h = Float(hDiag)
                for i in 0..<n { d[i] *= h }
                for k in 0..<ys.count {
                    let be = dot(ys[k], d) * rho[k]
                    axpy(Float(al[k] - be), ss[k], &d)
                }
            }
            prevG = g
            let prevLoss = loss
            t = iteration == 1 ? min(1, 1 / Float(sumAbs(g))) * learningRate : learningRate
            if dot(g, d) > Double(-toleranceChange) { break }

            addToParameters(t, d)
            var optimal = false
            if iteration != maxIterations {
                guard let l = closure() else { return nil }
                loss = l
                evaluations += 1
                currentEvals += 1
                g = gatherGradient()
                optimal = maxAbs(g) <= toleranceGrad
            }
            if iteration == maxIterations || currentEvals >= maxEval || optimal { break }
            if maxAbs(d) * abs(t) <= toleranceChange { break }
            if abs(loss - prevLoss) < toleranceChange { break }
        }
        return firstLoss
    }

    // MARK: - flat-vector helpers

    private func gatherGradient() -> [Float] {
        var g = [Float](repeating: 0, count: n)
        g.withUnsafeMutableBufferPointer { b in
            var at = 0
            for p in parameters { (b.baseAddress! + at).update(from: p.grad, count: p.count); at += p.count }
        }
        return g
    }

    private func addToParameters(_ t: Float, _ d: [Float]) {
        var at = 0
        for p in parameters {
            for i in 0..<p.count { p.value[i] += t * d[at + i] }
            at += p.count
        }
    }

    private func dot(_ a: [Float], _ b: [Float]) -> Double {
        var s = 0.0
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in
            var i = 0
            while i < n {
                let end = min(n, i + 1024)
                var part: Float = 0
                for j in i..<end { part += a[j] * b[j] }
                s += Double(part); i = end
            }
        } }
        return s
    }

    private func axpy(_ a: Float, _ x: [Float], _ y: inout [Float]) {
        x.withUnsafeBufferPointer { x in y.withUnsafeMutableBufferPointer { y in for i in 0..<n { y[i] += a * x[i] } } }
    }

    private func maxAbs(_ v: [Float]) -> Float { v.reduce(0) { max($0, abs($1)) } }
    private func sumAbs(_ v: [Float]) -> Double { v.reduce(0.0) { $0 + Double(abs($1)) } }
}
