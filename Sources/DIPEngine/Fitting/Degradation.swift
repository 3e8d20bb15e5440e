/// Ways to make a degraded image from a clean one, for evaluation.
public enum Degradation {
    /// clip(x + N(0, σ²), 0, 1), in float (not quantised), as the denoising notebook.
    public static func addGaussianNoise(_ x: Tensor, sigma: Float, seed: UInt64) -> Tensor {
        let out = Tensor(x.shape)
        var rng = RandomSource(seed: seed, stream: 0x9015E)
        rng.fillNormal(out.data, count: out.count, scale: sigma)
        for i in 0..<out.count { out.data[i] = min(max(x.data[i] + out.data[i], 0), 1) }
        return out
    }
}

extension Tensor {
    /// A CHW tensor from interleaved H×W×C samples.
    public convenience init(interleaved samples: [Float], width: Int, height: Int, channels: Int) {
        precondition(samples.count == width * height * channels)
        self.init(channels: channels, height: height, width: width)
        let plane = width * height
        samples.withUnsafeBufferPointer { s in
            for i in 0..<plane { for c in 0..<channels { data[c * plane + i] = s[i * channels + c] } }
        }
    }

    /// Interleaved H×W×C samples, clamped to [0, 1].
    public func interleaved() -> [Float] {
        var out = [Float](repeating: 0, count: count)
        let p = plane
        for i in 0..<p { for c in 0..<channels { out[i * channels + c] = min(max(data[c * p + i], 0), 1) } }
        return out
    }

    /// The window of rows [y, y+h) and columns [x, x+w).
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> Tensor {
        precondition(x >= 0 && y >= 0 && x + w <= width && y + h <= height)
        let t = Tensor(channels: channels, height: h, width: w)
        for c in 0..<channels { for r in 0..<h { (t.data + (c * h + r) * w).update(from: data + (c * height + y + r) * width + x, count: w) } }
        return t
    }
}
