/// How a convolution sees pixels outside the image.
public enum Padding: String, Sendable, Codable, CaseIterable {
    case zero, reflection, replication

    /// Maps a coordinate of the padded axis (pad `p` on both sides of `n`
    /// pixels) to a source index, or -1 for a zero.
    @inline(__always)
    func source(_ q: Int, pad p: Int, size n: Int) -> Int {
        let i = q - p
        if i >= 0 && i < n { return i }
        switch self {
        case .zero:
            return -1
        case .replication:
            return i < 0 ? 0 : n - 1
        case .reflection:   // mirror without repeating the edge pixel, as ReflectionPad2d
            if n == 1 { return 0 }
            var j = i
            let period = 2 * (n - 1)
            j = ((j % period) + period) % period
            return j < n ? j : period - j
        }
    }
}
