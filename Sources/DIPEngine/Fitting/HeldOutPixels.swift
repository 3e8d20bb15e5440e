/// A fixed random set of pixels left out of the loss, for auto stop's held-out rule
/// (self-validation). The network never sees their noisy values, so their noise is
/// independent of its output, and the mean squared error of an output against the noisy
/// image on them estimates the output's true error on them plus the noise's variance: its
/// minimum over the fit marks the best iteration without the clean image. That holds for
/// noise independent from pixel to pixel; where a colour image's chroma noise is shared by
/// neighbouring pixels (`ChromaNoise`), the error is taken on luma, whose noise JPEG keeps at
/// full resolution. Not for JPEG's own blocks, whose artefacts a held-out pixel's neighbours predict.
public struct HeldOutPixels: Sendable, Equatable {
    /// Flat indices (y·width + x) of the held-out pixels in the padded image, ascending.
    public let indices: [Int]
    public let height: Int, width: Int
    /// Whether `error` compares a colour image's luma instead of every channel.
    public let luma: Bool

    /// About `fraction` of the image's pixels, drawn from `seed`; on a small image more, up to a
    /// tenth of it, so that about `minimumCount` are held out (a few dozen pixels' error follows
    /// their own noise more than the fit). In a padded region only pixels whose values no padding
    /// mirrors are candidates: a mirrored copy would put the pixel's noise back into the loss.
    /// With `known` (1 × padded height × width, as an inpainting mask), only pixels it marks known
    /// (above 0.5) are held out: a hole has no value to compare with.
    public init(region r: PaddedRegion, fraction: Double, minimumCount: Int = 0, luma: Bool = false,
                known: Tensor? = nil, seed: UInt64) {
        precondition(known.map { $0.height == r.paddedHeight && $0.width == r.paddedWidth } ?? true)
        precondition(fraction > 0 && fraction < 1, "held-out fraction must be in (0, 1)")
        height = r.paddedHeight; width = r.paddedWidth; self.luma = luma
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
                let i = (y + r.top) * width + x + r.left
                if let known, known.data[i] <= 0.5 { continue }
                picked.append(i)
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

    /// Mean squared difference of `output` and `target` over the held-out pixels: of their luma
    /// with `luma` and a colour image, of every channel otherwise.
    public func error(_ output: Tensor, _ target: Tensor) -> Double {
        precondition(output.shape == target.shape && output.height == height && output.width == width)
        guard !indices.isEmpty else { return 0 }
        let plane = height * width, o = output.data, t = target.data
        var sum = 0.0
        if luma && output.channels == 3 {
            let (wr, wg, wb) = ChromaNoise.lumaWeights
            for i in indices {
                let d = wr * Double(o[i] - t[i]) + wg * Double(o[plane + i] - t[plane + i]) + wb * Double(o[2 * plane + i] - t[2 * plane + i])
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

extension AutoStop {
    /// The pixels this rule holds out of a fit over `region` (its fraction and minimum count).
    func heldOutPixels(region: PaddedRegion, luma: Bool = false, known: Tensor? = nil, seed: UInt64) -> HeldOutPixels {
        HeldOutPixels(region: region, fraction: heldOutFraction, minimumCount: heldOutMinimumCount,
                      luma: luma, known: known, seed: seed)
    }
}
