/// Adam as torch.optim.Adam with its defaults (β 0.9 / 0.999, ε 1e-8, no
/// weight decay), including PyTorch's form of the bias correction.
public final class Adam {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, eps: Float
    public private(set) var step = 0
    private let parameters: [Parameter]
    /// Each parameter's learning rate as a multiple of `learningRate` (all 1 unless set).
    public var rateFactors: [Float]
    private var m: [UnsafeMutablePointer<Float>]
    private var v: [UnsafeMutablePointer<Float>]

    public init(_ parameters: [Parameter], learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8) {
        self.parameters = parameters; self.learningRate = learningRate
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps
        rateFactors = Array(repeating: 1, count: parameters.count)
        m = parameters.map { let p = UnsafeMutablePointer<Float>.allocate(capacity: $0.count); p.initialize(repeating: 0, count: $0.count); return p }
        v = parameters.map { let p = UnsafeMutablePointer<Float>.allocate(capacity: $0.count); p.initialize(repeating: 0, count: $0.count); return p }
    }

    /// The step count and both moments of every parameter, for a checkpoint.
    var state: (step: Int, first: [[Float]], second: [[Float]]) {
        get {
            (step, zip(m, parameters).map { Array(UnsafeBufferPointer(start: $0, count: $1.count)) },
             zip(v, parameters).map { Array(UnsafeBufferPointer(start: $0, count: $1.count)) })
        }
        set {
            step = newValue.step
            for (k, p) in parameters.enumerated() {
                newValue.first[k].withUnsafeBufferPointer { m[k].update(from: $0.baseAddress!, count: p.count) }
                newValue.second[k].withUnsafeBufferPointer { v[k].update(from: $0.baseAddress!, count: p.count) }
            }
        }
    }

    deinit { for p in m { p.deallocate() }; for p in v { p.deallocate() } }

    public func update(_ compute: Compute = .serial) {
        step += 1
        let bc1 = 1 - Double(beta1).power(step), bc2 = 1 - Double(beta2).power(step)
        let stepSize = Float(Double(learningRate) / bc1)
        let sqrtBc2 = Float(bc2.squareRoot())
        let b1 = beta1, b2 = beta2, eps = eps
        for (k, p) in parameters.enumerated() {
            let mk = m[k], vk = v[k], w = p.value, g = p.grad, stepSize = stepSize * rateFactors[k]
            compute.forEachChunk(p.count, grain: 1 << 15) { r in
                for i in r {
                    let gi = g[i]
                    mk[i] = b1 * mk[i] + (1 - b1) * gi
                    vk[i] = b2 * vk[i] + (1 - b2) * gi * gi
                    let denom = vk[i].squareRoot() / sqrtBc2 + eps
                    w[i] -= stepSize * mk[i] / denom
                }
            }
        }
    }
}

extension Double {
    func power(_ n: Int) -> Double { var r = 1.0; for _ in 0..<n { r *= self }; return r }
}
