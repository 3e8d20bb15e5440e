import DIPEngine
import Foundation
import ImageCodec
import TestData

/// The demo images (Tests/Data/dip) as engine tensors.
enum Demo {
    static func decode(_ name: String) throws -> Image {
        try ImageCodec.decode(TestData.demoBytes(name))
    }

    static func image(_ name: String) throws -> Tensor {
        let i = try decode(name)
        return Tensor(interleaved: i.samples, width: i.width, height: i.height, channels: i.channels)
    }

    static func mask(_ name: String) throws -> Tensor {
        let i = try decode(name)
        return try Mask.fromImageSamples(i.samples, width: i.width, height: i.height, channels: i.channels)
    }
}

extension Tensor {
    /// The centred window of this size, or the one at (x, y).
    func window(_ w: Int, _ h: Int, x: Int? = nil, y: Int? = nil) -> Tensor {
        cropped(x: x ?? (width - w) / 2, y: y ?? (height - h) / 2, width: w, height: h)
    }
}
