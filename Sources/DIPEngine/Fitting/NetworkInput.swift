/// The fixed input z the network maps to the image.
public enum NetworkInput: Sendable, Equatable {
    /// `channels` planes of uniform noise U[0, 1) × 0.1 (the reference's get_noise 'noise', type 'u').
    case noise(channels: Int)
    /// Two planes: x/(W−1) and y/(H−1) (the reference's 'meshgrid').
    case meshgrid
    /// A given image, CHW values (e.g. the flash photograph in flash/no-flash).
    case image(channels: Int, values: [Float])

    public var channels: Int {
        switch self {
        case let .noise(c): return c
        case .meshgrid: return 2
        case let .image(c, _): return c
        }
    }

    /// Materialises the input for an image of this size.
    public func make(height: Int, width: Int, seed: UInt64) -> Tensor {
        let t = Tensor(channels: channels, height: height, width: width)
        switch self {
        case .noise:
            var rng = RandomSource(seed: seed, stream: 0x2)
            for i in 0..<t.count { t.data[i] = rng.uniform() * 0.1 }
        case .meshgrid:
            for y in 0..<height {
                for x in 0..<width {
                    t[0, y, x] = width > 1 ? Float(x) / Float(width - 1) : 0
                    t[1, y, x] = height > 1 ? Float(y) / Float(height - 1) : 0
                }
            }
        case let .image(_, values):
            precondition(values.count == t.count, "input image has \(values.count) values, expected \(t.count)")
            values.withUnsafeBufferPointer { t.data.update(from: $0.baseAddress!, count: t.count) }
        }
        return t
    }
}
