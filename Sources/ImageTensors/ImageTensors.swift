import DIPEngine
import ImageCodec

/// A decoded image as the engine sees it: 1 (gray) or 3 (colour) channels, CHW in [0, 1].
/// An alpha channel is set aside: the network never sees it, and it is put back on the result.
public struct ImageTensor {
    public var tensor: Tensor
    public var alpha: [Float]?

    public init(tensor: Tensor, alpha: [Float]? = nil) {
        self.tensor = tensor; self.alpha = alpha
    }

    public init(_ image: Image) {
        var alpha: [Float]? = nil
        if image.hasAlpha {
            let c = image.channels
            alpha = stride(from: c - 1, to: image.samples.count, by: c).map { image.samples[$0] }
        }
        let base = image.converted(toChannels: image.channels >= 3 ? 3 : 1)
        self.init(tensor: Tensor(interleaved: base.samples, width: base.width, height: base.height, channels: base.channels),
                  alpha: alpha)
    }

    /// The image with `tensor` as its colour and the alpha put back when the sizes agree
    /// (a super-resolved result is larger than its input, and keeps no alpha).
    public static func image(_ t: Tensor, alpha: [Float]? = nil) -> Image {
        var samples = t.interleaved()
        var channels = t.channels
        if let alpha, alpha.count == t.plane {
            var withAlpha = [Float](); withAlpha.reserveCapacity(t.plane * (channels + 1))
            for i in 0..<t.plane {
                withAlpha.append(contentsOf: samples[(i * channels)..<((i + 1) * channels)])
                withAlpha.append(alpha[i])
            }
            samples = withAlpha; channels += 1
        }
        return Image(width: t.width, height: t.height, channels: channels, samples: samples)
    }

    public static func encodePNG(_ t: Tensor, alpha: [Float]? = nil, bitDepth: Int = 8) throws -> [UInt8] {
        try ImageCodec.encodePNG(image(t, alpha: alpha), bitDepth: bitDepth)
    }

    /// A mask (1 = known pixel) from a decoded gray or colour image: white is known.
    public static func mask(_ image: Image) throws -> Tensor {
        try Mask.fromImageSamples(image.samples, width: image.width, height: image.height, channels: image.channels)
    }
}
