/// Whether a colour image's noise is shared in chroma between neighbouring pixels, as JPEG's
/// 4:2:0 chroma (one chroma sample per 2×2 block) and a camera's demosaicing share it. The
/// held-out rule must then take its error on luma (`HeldOutPixels`): a network fitting a held-out
/// pixel's neighbours learns that pixel's chroma noise too, so on chroma the error keeps falling
/// past the best iteration.
///
/// The test compares noise levels at the finest scale, as `NoiseLevel` estimates them (the
/// median absolute diagonal Haar detail of 2×2 blocks, `HaarBlock`), of the chroma (R − Y, B − Y) and of the
/// luma Y. White RGB noise of any σ gives chroma/luma ratios of 1.38 and 1.65 (the weights'
/// norms); chroma subsampled over the very blocks the detail is taken on leaves almost none.
/// On noisy 256² Kodak crops (σ = 25) the ratio was 1.2–1.6 as PNG and 0.05–0.10 as JPEG at
/// quality 90 and 95.
public enum ChromaNoise {
    /// BT.601 luma, as JPEG's Y.
    public static let lumaWeights: (r: Double, g: Double, b: Double) = (0.299, 0.587, 0.114)
    /// Chroma noise below this fraction of the luma's is taken as shared.
    public static let sharedBelow = 0.5

    /// The chroma's finest-scale noise level over the luma's (nil: not a 3-channel image of at
    /// least 2×2, or no luma detail at all).
    public static func ratio(_ image: Tensor) -> Double? {
        let h = image.height, w = image.width
        guard image.channels == 3, h >= 2, w >= 2 else { return nil }
        let (wr, wg, wb) = (Float(lumaWeights.r), Float(lumaWeights.g), Float(lumaWeights.b))
        let r = image.data, g = r + image.plane, b = g + image.plane
        var luma = [Float](), chroma = [Float]()
        luma.reserveCapacity((h / 2) * (w / 2)); chroma.reserveCapacity(h * w / 2)
        // Clipping cut the noise off where a value is at 0 or 1 (`NoiseLevel`).
        func unclipped(_ j: Int) -> Bool { min(r[j], g[j], b[j]) > 0 && max(r[j], g[j], b[j]) < 1 }
        func lumaAt(_ j: Int) -> Float { wr * r[j] + wg * g[j] + wb * b[j] }
        HaarBlock.forEach(width: w, height: h) { block in
            guard block.all(unclipped) else { return }
            luma.append(block.detail(lumaAt))
            chroma.append(block.detail { r[$0] - lumaAt($0) })
            chroma.append(block.detail { b[$0] - lumaAt($0) })
        }
        guard !luma.isEmpty else { return nil }
        let l = NoiseLevel.median(&luma), c = NoiseLevel.median(&chroma)
        return l > 0 ? Double(c / l) : nil
    }

    /// True where the chroma noise is shared between neighbouring pixels (see the type).
    public static func isShared(_ image: Tensor) -> Bool {
        ratio(image).map { $0 < sharedBelow } ?? false
    }
}
