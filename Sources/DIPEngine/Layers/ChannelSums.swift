/// Each channel's Σx and Σx² of one tensor, summed by the layer that wrote it as it
/// wrote it (a convolution's output pass), for the batch norm that reads the
/// tensor next: its statistics without two passes of its own over a full-resolution
/// tensor. The writer sums into `parts` partial sets (one per thread) and names the
/// tensor; a writer that did not sum names none, and the batch norm sums itself.
final class ChannelSums {
    private(set) var values: UnsafeMutablePointer<Double> = .allocate(capacity: 2)
    private var capacity = 2
    private(set) var parts = 0
    private(set) var channels = 0
    /// The data of the tensor the sums are of; nil when the last pass did not sum.
    var tensor: UnsafeMutablePointer<Float>?

    /// Zeroed room for `parts` sets of (Σx, Σx²) per channel: part p's channel c at
    /// values[(p·channels + c)·2] and the next.
    func reset(parts: Int, channels: Int) {
        let n = 2 * parts * channels
        if n > capacity {
            values.deallocate()
            values = .allocate(capacity: n)
            capacity = n
        }
        values.initialize(repeating: 0, count: n)
        self.parts = parts; self.channels = channels
        tensor = nil
    }

    /// Part p's sums (for the writer).
    func part(_ p: Int) -> UnsafeMutablePointer<Double> { values + 2 * p * channels }

    /// Channel c's (Σx, Σx²) over every part.
    func total(_ c: Int) -> (sum: Double, squares: Double) {
        var s = 0.0, q = 0.0
        for p in 0..<parts { s += values[2 * (p * channels + c)]; q += values[2 * (p * channels + c) + 1] }
        return (s, q)
    }

    deinit { values.deallocate() }
}
