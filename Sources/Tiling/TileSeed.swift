/// A tile's own seed, derived from the job's (splitmix64 of seed and index), so tiles differ but runs repeat.
///
/// Tile `i` takes the `i`-th output of a splitmix64 stream started at the job's seed: distinct
/// indices give distinct states, and splitmix64's mixing is a bijection, so two tiles of a job
/// never share a seed before the 53-bit cut below. The result is kept to 53 bits so that a
/// tile's seed is itself a valid spec seed (JSON numbers are exact up to 2^53).
public enum TileSeed {
    /// The largest seed a spec takes, 2^53 − 1.
    public static let mask: UInt64 = (1 << 53) - 1

    public static func derive(_ seed: UInt64, tile index: Int) -> UInt64 {
        let state = seed &+ UInt64(bitPattern: Int64(index) &+ 1) &* 0x9E37_79B9_7F4A_7C15
        return mix(state) & mask
    }

    /// splitmix64's output function (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014).
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
