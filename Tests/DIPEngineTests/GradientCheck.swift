@testable import DIPEngine

/// Finite-difference checks of a module's backward pass.
///
/// The scalar probed is f(x, θ) = Σ r ⊙ module(x) for a fixed random r, so
/// backward(r) must return ∂f/∂x and accumulate ∂f/∂θ. Central differences
/// in float32 with step h are compared with a tolerance relative to the
/// largest gradient entry, on a sample of coordinates.
struct GradientCheck {
    var h: Float = 1e-2
    var tolerance: Double = 2e-2
    var samples = 24
    var seed: UInt64 = 7
    /// The kernels the module's matrix multiplies use.
    var kernels = InstructionSet.best
    /// The number format of the module's large convolutions.
    var precision = Precision.fp32

    struct Failure: CustomStringConvertible {
        let what: String, index: Int, analytic: Double, numeric: Double
        var description: String { "\(what)[\(index)]: analytic \(analytic), numeric \(numeric)" }
    }

    /// Returns the failures (empty means the module passed), the number of coordinates checked
    /// and the worst mismatch seen, as a fraction of the scale it was judged against.
    func run(_ module: Module, input shape: Shape, checkInput: Bool = true) -> (failures: [Failure], checked: Int, worst: Double) {
        var rng = RandomSource(seed: seed)
        let x = Tensor(shape)
        for i in 0..<x.count { x.data[i] = 2 * rng.uniform() - 1 }
        for p in module.parameters { for i in 0..<p.count { p.value[i] = 2 * rng.uniform() - 1 } }
        var compute = try! Compute(threads: 2, instructionSet: kernels)
        compute.precision = precision
        module.needsInputGradient = checkInput

        let outShape = module.outputShape(for: shape)
        let r = Tensor(outShape)
        for i in 0..<r.count { r.data[i] = 2 * rng.uniform() - 1 }

        func f() -> Double {
            let y = module.forward(x.clone(), compute)   // clone: some modules work in place
            precondition(y.shape == outShape, "output \(y.shape), expected \(outShape)")
            return dotDouble(y.data, r.data, y.count)
        }

        // Analytic gradients.
        for p in module.parameters { p.zeroGrad() }
        _ = f()
        let dx = module.backward(r.clone(), compute)?.clone()
        let paramGrads = module.parameters.map { $0.gradients }

        var failures: [Failure] = []
        var checked = 0, worst = 0.0
        let globalMax = max(dx.map { t in (0..<t.count).map { abs(Double(t.data[$0])) }.max() ?? 0 } ?? 0,
                            paramGrads.flatMap { $0 }.map { abs(Double($0)) }.max() ?? 0)
        func probe(_ what: String, _ ptr: UnsafeMutablePointer<Float>, _ count: Int, _ analytic: (Int) -> Double) {
            // Gradients that are exactly zero in theory (a bias before batch norm) are
            // judged against the largest gradient anywhere, not against themselves.
            let scale = max((0..<count).map { abs(analytic($0)) }.max() ?? 0, 0.01 * globalMax, 1e-3)
            var pick = RandomSource(seed: seed ^ UInt64(count))
            for s in 0..<min(samples, count) {
                let i = count <= samples ? s : Int(pick.next() % UInt64(count))
                let old = ptr[i]
                ptr[i] = old + h; let fp = f()
                ptr[i] = old - h; let fm = f()
                ptr[i] = old
                let numeric = (fp - fm) / (2 * Double(h))
                checked += 1
                worst = max(worst, abs(numeric - analytic(i)) / scale)
                if abs(numeric - analytic(i)) > tolerance * scale {
                    failures.append(Failure(what: what, index: i, analytic: analytic(i), numeric: numeric))
                }
            }
        }
        if checkInput {
            guard let dx else { return ([Failure(what: "input gradient missing", index: 0, analytic: 0, numeric: 0)], 0, 0) }
            probe("input", x.data, x.count) { Double(dx.data[$0]) }
        }
        for (k, p) in module.parameters.enumerated() {
            probe(p.name, p.value, p.count) { Double(paramGrads[k][$0]) }
        }
        return (failures, checked, worst)
    }
}
