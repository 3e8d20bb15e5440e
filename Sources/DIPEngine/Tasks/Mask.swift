/// Masks of known pixels for inpainting and restoration: one channel, 1 =
/// known, 0 = missing (the reference's convention: white = known).
public enum Mask {
    /// A 1×H×W 0/1 mask from decoded image samples (interleaved H×W×C, values
    /// in [0, 1], as an image decoder gives them). Gray (1), gray+alpha (2),
    /// RGB (3) and RGBA (4) are accepted; alpha is ignored. A pixel is known
    /// when the mean of its colour channels is at least one half.
    public static func fromImageSamples(_ samples: [Float], width: Int, height: Int, channels: Int) throws -> Tensor {
        guard (1...4).contains(channels) else { throw TaskInputError.invalid("a mask needs 1 to 4 channels, not \(channels)") }
        guard width > 0, height > 0, samples.count == width * height * channels else {
            throw TaskInputError.invalid("mask has \(samples.count) samples, expected \(width)×\(height)×\(channels)")
        }
        let colour = channels >= 3 ? 3 : 1
        let t = Tensor(channels: 1, height: height, width: width)
        samples.withUnsafeBufferPointer { s in
            for i in 0..<(width * height) {
                var sum: Float = 0
                for c in 0..<colour { sum += s[i * channels + c] }
                t.data[i] = sum >= 0.5 * Float(colour) ? 1 : 0
            }
        }
        return t
    }

    /// Checks that `mask` is one channel of the image's height and width.
    public static func validate(_ mask: Tensor, for image: Tensor) throws {
        guard mask.channels == 1 else {
            throw TaskInputError.invalid("a mask must have 1 channel, not \(mask.channels)")
        }
        try TaskFit.checkSameSize("mask", mask, as: image)
    }

    /// The fraction of known pixels.
    public static func knownFraction(_ mask: Tensor) -> Double {
        var n = 0.0
        for i in 0..<mask.count where mask.data[i] > 0.5 { n += 1 }
        return n / Double(max(mask.count, 1))
    }

    /// x·mask (the mask broadcast over the channels): the degraded image a masked task sees.
    public static func apply(_ mask: Tensor, to x: Tensor) -> Tensor {
        let out = Tensor(x.shape)
        for c in 0..<x.channels {
            for i in 0..<x.plane { out.data[c * x.plane + i] = x.data[c * x.plane + i] * mask.data[i] }
        }
        return out
    }

    /// The mask inverted (1 = missing), for measuring inside the holes.
    public static func holes(_ mask: Tensor) -> Tensor {
        let out = Tensor(mask.shape)
        for i in 0..<mask.count { out.data[i] = 1 - mask.data[i] }
        return out
    }
}
