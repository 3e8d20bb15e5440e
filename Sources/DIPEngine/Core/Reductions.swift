/// Sums over long float runs: 8-lane accumulators within blocks of 4096,
/// blocks added in Double, so a 512×512 plane sums with an error near float
/// epsilon rather than one growing with its length.
@inline(__always)
func blockedSum(_ n: Int, _ lanes: (Int) -> SIMD8<Float>, _ one: (Int) -> Float) -> Double {
    var total = 0.0
    var start = 0
    while start < n {
        let end = min(n, start + 4096)
        var acc = SIMD8<Float>()
        var i = start
        while i + 8 <= end { acc += lanes(i); i += 8 }
        var tail: Float = 0
        while i < end { tail += one(i); i += 1 }
        total += Double(acc.sum() + tail)
        start = end
    }
    return total
}

@inline(__always)
private func load8(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
    UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float { Float(sumDouble(p, n)) }

/// Σ p[i]
func sumDouble(_ p: UnsafePointer<Float>, _ n: Int) -> Double {
    blockedSum(n, { load8(p, $0) }, { p[$0] })
}

/// Σ a[i]·b[i]
func dotDouble(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Double {
    blockedSum(n, { load8(a, $0) * load8(b, $0) }, { a[$0] * b[$0] })
}

/// (Σ p[i], Σ p[i]²) in one pass, accumulated in double: the variance E[x²] − E[x]² taken
/// from them stays exact to float precision even when the mean is far from zero.
func sumAndSquares(_ p: UnsafePointer<Float>, _ n: Int) -> (sum: Double, squares: Double) {
    var s8 = SIMD8<Double>(), q8 = SIMD8<Double>()
    var i = 0
    while i + 8 <= n { let v = SIMD8<Double>(load8(p, i)); s8 += v; q8 += v * v; i += 8 }
    var s1 = 0.0, q1 = 0.0
    while i < n { let v = Double(p[i]); s1 += v; q1 += v * v; i += 1 }
    return (s8.sum() + s1, q8.sum() + q1)
}

/// Σ (p[i] − mean)²
func centredSquares(_ p: UnsafePointer<Float>, _ n: Int, mean: Float) -> Double {
    let m = SIMD8<Float>(repeating: mean)
    return blockedSum(n, { let d = load8(p, $0) - m; return d * d }, { let d = p[$0] - mean; return d * d })
}

/// For batch norm's backward: optionally passes `d` through LeakyReLU's backward in place
/// (where `gate`, the activation's output, is ≤ 0 the gradient is scaled by `slope`),
/// and returns Σd and Σd·x over the result, in one pass.
func gatedSums(_ d: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int,
               gate: UnsafePointer<Float>?, slope: Float) -> (sum: Double, dot: Double) {
    var total = 0.0, dot = 0.0
    let a = SIMD8<Float>(repeating: slope)
    var start = 0
    while start < n {
        let end = min(n, start + 4096)
        var s8 = SIMD8<Float>(), p8 = SIMD8<Float>()
        var i = start
        while i + 8 <= end {
            var v = load8(UnsafePointer(d), i)
            if let gate {
                v.replace(with: v * a, where: load8(gate, i) .<= 0)
                UnsafeMutableRawPointer(d + i).storeBytes(of: v, as: SIMD8<Float>.self)
            }
            s8 += v
            p8 += v * load8(x, i)
            i += 8
        }
        var s1: Float = 0, p1: Float = 0
        while i < end {
            var v = d[i]
            if let gate, gate[i] <= 0 { v *= slope; d[i] = v }
            s1 += v
            p1 += v * x[i]
            i += 1
        }
        total += Double(s8.sum() + s1)
        dot += Double(p8.sum() + p1)
        start = end
    }
    return (total, dot)
}

/// Σ over c in 0..<channels of `channel(c)`, the channels spread over the threads (a loss's
/// per-channel sums; each is computed by one thread, so the total does not depend on their count).
func sumOverChannels(_ channels: Int, _ compute: Compute, _ channel: (Int) -> Double) -> Double {
    var partial = [Double](repeating: 0, count: channels)
    partial.withUnsafeMutableBufferPointer { acc in
        let acc = acc.baseAddress!
        compute.forEachChunk(channels) { range in for c in range { acc[c] = channel(c) } }
    }
    return partial.reduce(0, +)
}
