/// Mean squared error, mean over all C·H·W elements (nn.MSELoss). With a
/// mask m (1 = known pixel) it is the reference's MSE(out·m, target·m): the
/// mean still runs over every element, holes included. The mask has either
/// the output's channel count or one channel shared by all.
public enum MSELoss {
    /// Returns the loss and writes dLoss/dOutput into `gradient`.
    @discardableResult
    public static func evaluate(output: Tensor, target: Tensor, mask: Tensor? = nil,
                                gradient: Tensor?, compute: Compute) -> Float {
        precondition(output.shape == target.shape, "loss: output \(output.shape) vs target \(target.shape)")
        if let m = mask {
            precondition(m.height == output.height && m.width == output.width && (m.channels == 1 || m.channels == output.channels))
        }
        let n = output.count, plane = output.plane
        let scale = 2 / Float(n)
        let total = sumOverChannels(output.channels, compute) { c in
            let o = output.data + c * plane, t = target.data + c * plane
            let m = mask.map { $0.data + ($0.channels == 1 ? 0 : c * plane) }
            let g = gradient.map { $0.data + c * plane }
            var s = 0.0, start = 0
            while start < plane {
                let end = min(plane, start + 4096)
                var a: Float = 0
                for i in start..<end {
                    let mi: Float = m?[i] ?? 1
                    let d = (o[i] - t[i]) * mi
                    a += d * d
                    if let g { g[i] = scale * d * mi }
                }
                s += Double(a); start = end
            }
            return s
        }
        return Float(total / Double(n))
    }
}
