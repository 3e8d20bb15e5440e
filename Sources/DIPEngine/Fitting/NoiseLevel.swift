/// The standard deviation of additive white noise in an image, estimated from the image
/// alone: the median absolute value of its finest diagonal Haar wavelet coefficients
/// over 0.6745, the median of |N(0, 1)| (Donoho and Johnstone, "Ideal spatial adaptation
/// by wavelet shrinkage", Biometrika 1994). The diagonal detail of a 2×2 block
/// (`HaarBlock`) cancels smooth content and keeps the noise's σ; edges and fine
/// texture leak into it, so the estimate errs high on detailed images, and a clean image
/// gives close to 0. Blocks with a value at 0 or 1 are left out: the noise there was cut
/// off by clipping, and a sky burnt to white would otherwise pull the median down.
public enum NoiseLevel {
    /// σ on the image's own scale (values in [0, 1] give σ in [0, 1]); 0 for images
    /// smaller than 2×2.
    public static func estimate(_ image: Tensor) -> Double {
        let h = image.height, w = image.width
        guard h >= 2, w >= 2 else { return 0 }
        var details = [Float](), clipped = [Float]()
        details.reserveCapacity(image.channels * (h / 2) * (w / 2))
        for c in 0..<image.channels {
            let p = image.data + c * image.plane
            HaarBlock.forEach(width: w, height: h) { block in
                let detail = block.detail { p[$0] }
                if block.all({ p[$0] > 0 && p[$0] < 1 }) {
                    details.append(detail)
                } else {
                    clipped.append(detail)
                }
            }
        }
        // An image clipped almost everywhere (a mask, a drawing) is read whole.
        if details.count < (details.count + clipped.count) / 16 { details += clipped }
        return Double(median(&details)) / 0.6745
    }

    /// The upper median of `values`, which it reorders (0 for none).
    static func median(_ values: inout [Float]) -> Float {
        guard !values.isEmpty else { return 0 }
        let middle = values.count / 2
        values.withUnsafeMutableBufferPointer { select(middle, in: $0) }
        return values[middle]
    }

    /// Moves the k-th smallest value to index k (Hoare's quickselect, middle pivot).
    private static func select(_ k: Int, in a: UnsafeMutableBufferPointer<Float>) {
        var lo = 0, hi = a.count - 1
        while lo < hi {
            let pivot = a[(lo + hi) / 2]
            var i = lo, j = hi
            while i <= j {
                while a[i] < pivot { i += 1 }
                while a[j] > pivot { j -= 1 }
                if i <= j { a.swapAt(i, j); i += 1; j -= 1 }
            }
            if k <= j { hi = j } else if k >= i { lo = i } else { return }
        }
    }
}
