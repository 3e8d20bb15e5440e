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

/// Σ (p[i] − mean)²
func centredSquares(_ p: UnsafePointer<Float>, _ n: Int, mean: Float) -> Double {
    let m = SIMD8<Float>(repeating: mean)
    return blockedSum(n, { let d = load8(p, $0) - m; return d * d }, { let d = p[$0] - mean; return d * d })
}
