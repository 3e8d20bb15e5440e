/// A fixed random set of pixels left out of the loss, for auto stop's held-out rule
/// (self-validation). The network never sees their noisy values, so their noise is
/// independent of its output, and the mean squared error of an output against the noisy
/// image on them estimates the output's true error on them plus the noise's variance: its
/// minimum over the fit marks the best iteration without the clean image.
///
/// That holds only for noise independent from pixel to pixel. A colour image's error is
/// therefore taken on its luma (BT.601, as JPEG's Y): JPEG's 4:2:0 chroma and a camera's
/// demosaicing share chroma noise between neighbouring pixels, which the network learns from
/// the neighbours of a held-out pixel, so on chroma the error kept falling past the best
/// iteration of a noisy JPEG; JPEG keeps luma at full resolution, where the noise stays nearly
/// independent at the qualities photographs are saved at.
public struct HeldOutPixels: Sendable, Equatable {
    /// Flat indices (y·width + x) of the held-out pixels in the padded image, ascending.
    public let indices: [Int]
    public let height: Int, width: Int

    /// About `fraction` of the image's pixels, drawn from `seed`; on a small image more, up to a
    /// tenth of it, so that about `minimumCount` are held out (a few dozen pixels' error follows
    /// their own noise more than the fit). In a padded region only pixels whose values no padding
    /// mirrors are candidates: a mirrored copy would put the pixel's noise back into the loss.
    public init(region r: PaddedRegion, fraction: Double, minimumCount: Int = 0, seed: UInt64) {
        precondition(fraction > 0 && fraction < 1, "held-out fraction must be in (0, 1)")
        height = r.paddedHeight; width = r.paddedWidth
        // Reflection padding of p copies image rows 1...p (top) and the p rows before the last (bottom).
        func candidates(_ size: Int, before: Int, after: Int) -> Range<Int> {
            let lo = before > 0 ? before + 1 : 0, hi = after > 0 ? size - 1 - after : size
            return lo..<max(lo, hi)
        }
        let rows = candidates(r.height, before: r.top, after: r.paddedHeight - r.height - r.top)
        let cols = candidates(r.width, before: r.left, after: r.paddedWidth - r.width - r.left)
        let fraction = max(fraction, min(0.1, Double(minimumCount) / Double(max(1, rows.count * cols.count))))
        var rng = RandomSource(seed: seed, stream: 0x4845_4C44)    // a stream of its own: not the network's or the jitter's
        var picked: [Int] = []
        picked.reserveCapacity(Int(Double(rows.count * cols.count) * fraction * 1.2) + 1)
        for y in rows {
            for x in cols where Double(rng.uniform()) < fraction {
                picked.append((y + r.top) * width + x + r.left)
            }
        }
        indices = picked
    }

    /// 1 where the loss counts a pixel, 0 where it is held out (1 × height × width).
    public func lossMask() -> Tensor {
        let m = Tensor(channels: 1, height: height, width: width)
        m.fill(1)
        for i in indices { m.data[i] = 0 }
        return m
    }

    /// The luma weights (BT.601, JPEG's Y) a colour image's held-out error is taken on.
    public static let lumaWeights: (r: Double, g: Double, b: Double) = (0.299, 0.587, 0.114)

    /// Mean squared difference of `output` and `target` over the held-out pixels: of their luma
    /// for a colour (3-channel) image, of every channel otherwise.
    public func error(_ output: Tensor, _ target: Tensor) -> Double {
        precondition(output.shape == target.shape && output.height == height && output.width == width)
        guard !indices.isEmpty else { return 0 }
        let plane = height * width, o = output.data, t = target.data
        var sum = 0.0
        if output.channels == 3 {
            let w = Self.lumaWeights
            for i in indices {
                let d = w.r * Double(o[i] - t[i]) + w.g * Double(o[plane + i] - t[plane + i])
                    + w.b * Double(o[2 * plane + i] - t[2 * plane + i])
                sum += d * d
            }
            return sum / Double(indices.count)
        }
        for c in 0..<output.channels {
            for i in indices {
                let d = Double(o[c * plane + i] - t[c * plane + i])
                sum += d * d
            }
        }
        return sum / Double(indices.count * output.channels)
    }
}
