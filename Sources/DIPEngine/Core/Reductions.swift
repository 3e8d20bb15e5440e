/// Sums of long float runs: 8-lane accumulators within blocks, blocks added in
/// Double, so a 512×512 plane sums with error near float epsilon rather than
/// growing with its length.
@inline(__always)
func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float { Float(sumDouble(p, n)) }

func sumDouble(_ p: UnsafePointer<Float>, _ n: Int) -> Double {
    var total = 0.0
    var start = 0
    while start < n {
        let end = min(n, start + 4096)
        var acc = SIMD8<Float>()
        var i = start
        while i + 8 <= end { acc += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self); i += 8 }
        var tail: Float = 0
        while i < end { tail += p[i]; i += 1 }
        total += Double(acc.sum() + tail)
        start = end
    }
    return total
}

/// Σ a·b over n floats, with the same blocking.
func dotDouble(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Double {
    var total = 0.0
    var start = 0
    while start < n {
        let end = min(n, start + 4096)
        var acc = SIMD8<Float>()
        var i = start
        while i + 8 <= end {
            let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            let y = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            acc = acc.addingProduct(x, y); i += 8
        }
        var tail: Float = 0
        while i < end { tail += a[i] * b[i]; i += 1 }
        total += Double(acc.sum() + tail)
        start = end
    }
    return total
}

/// Σ (x − mean)² over n floats, with the same blocking.
func centredSquares(_ p: UnsafePointer<Float>, _ n: Int, mean: Float) -> Double {
    var total = 0.0
    var start = 0
    let m = SIMD8<Float>(repeating: mean)
    while start < n {
        let end = min(n, start + 4096)
        var acc = SIMD8<Float>()
        var i = start
        while i + 8 <= end {
            let d = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self) - m
            acc = acc.addingProduct(d, d); i += 8
        }
        var tail: Float = 0
        while i < end { let d = p[i] - mean; tail += d * d; i += 1 }
        total += Double(acc.sum() + tail)
        start = end
    }
    return total
}
