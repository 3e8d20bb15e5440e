/// Anisotropic total variation of an image, as a mean over its C·H·W elements:
///
///     TV(x) = (Σ |x[c,y+1,x] − x[c,y,x]| + Σ |x[c,y,x+1] − x[c,y,x]|) / (C·H·W)
///
/// It reads the output alone, so a loss that adds it still leaves held-out pixels unseen.
/// At a zero difference the gradient takes 0 (PyTorch's sign(0)).
public enum TotalVariation {
    /// Returns TV(output) and adds weight · dTV/dOutput into `gradient`.
    @discardableResult
    public static func evaluate(output: Tensor, weight: Float, addingGradientTo gradient: Tensor, compute: Compute) -> Float {
        precondition(output.shape == gradient.shape, "total variation: output \(output.shape) vs gradient \(gradient.shape)")
        let h = output.height, w = output.width, plane = output.plane
        let step = weight / Float(output.count)
        let total = sumOverChannels(output.channels, compute) { c in
            let x = output.data + c * plane, g = gradient.data + c * plane
            var s = 0.0
            for y in 0..<h {
                let row = x + y * w, grow = g + y * w
                var a: Float = 0
                for i in 0..<w {
                    if i + 1 < w {
                        let d = row[i + 1] - row[i]
                        a += abs(d)
                        let sd = step * sign(d)
                        grow[i + 1] += sd; grow[i] -= sd
                    }
                    if y + 1 < h {
                        let d = row[i + w] - row[i]
                        a += abs(d)
                        let sd = step * sign(d)
                        grow[i + w] += sd; grow[i] -= sd
                    }
                }
                s += Double(a)
            }
            return s
        }
        return Float(total / Double(output.count))
    }

    @inline(__always)
    private static func sign(_ d: Float) -> Float { d > 0 ? 1 : d < 0 ? -1 : 0 }
}
