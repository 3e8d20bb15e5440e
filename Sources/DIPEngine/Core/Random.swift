#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small, fast, seedable generator (xoshiro256**, seeded through splitmix64).
/// Every random draw of a fit comes from one of these, so a seed repeats a run.
public struct RandomSource: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var sm = seed
        func next() -> UInt64 {
            sm &+= 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = next(); s1 = next(); s2 = next(); s3 = next()
    }

    /// A generator for one independent sub-stream (e.g. one iteration, one chunk).
    public init(seed: UInt64, stream: UInt64) {
        self.init(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03) ^ 0x5851_F42D_4C95_7F2D)
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 24 bits, exactly representable in Float.
    @inline(__always)
    public mutating func uniform() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// Two independent standard normal samples (Box–Muller).
    @inline(__always)
    public mutating func normalPair() -> (Float, Float) {
        let u1 = Float(next() >> 40 | 1) * (1.0 / 16_777_216.0)   // never 0
        let u2 = uniform()
        let r = (-2 * logf(u1)).squareRoot()
        let a = 2 * Float.pi * u2
        return (r * cosf(a), r * sinf(a))
    }

    /// Fills `n` values with standard normal samples.
    public mutating func fillNormal(_ p: UnsafeMutablePointer<Float>, count n: Int, scale: Float = 1) {
        var i = 0
        while i + 1 < n { let (a, b) = normalPair(); p[i] = a * scale; p[i + 1] = b * scale; i += 2 }
        if i < n { p[i] = normalPair().0 * scale }
    }
}
