/// A pretrained tensor handed to a classifier: name, shape (outermost first) and values.
public struct WeightTensor: Sendable {
    public var name: String
    public var shape: [Int]
    public var values: [Float]
    public init(name: String, shape: [Int], values: [Float]) { self.name = name; self.shape = shape; self.values = values }
}

/// The layers of SqueezeNet 1.1 whose output can serve as features.
/// `conv10` is the final 1×1 convolution before its ReLU (1000 class maps);
/// `logits` is the classifier's output (conv10, ReLU, global average pool).
public enum SqueezeNetLayer: String, CaseIterable, Sendable, Codable {
    case conv1, fire2, fire3, fire4, fire5, fire6, fire7, fire8, fire9, conv10, logits
}

/// torchvision's SqueezeNet 1.1 with frozen pretrained weights, for forward
/// and backward passes down to the input image (the pre-image needs ∂/∂image).
///
///     conv 3→64 k3 s2 p0, ReLU, maxpool 3/2 ceil, fire2, fire3, maxpool, fire4, fire5,
///     maxpool, fire6, fire7, fire8, fire9, [dropout], conv10 512→1000 k1, ReLU, global average
///     fire(s, e) = squeeze 1×1 → s, ReLU → concat(expand 1×1 → e, ReLU; expand 3×3 p1 → e, ReLU)
///
/// Input: RGB in [0, 1]; the ImageNet normalisation is the network's first layer.
/// The engine reads no files: weights come in as named tensors.
public final class SqueezeNet {
    public static let parameterCount = 1_235_496
    /// (squeeze, expand) channels of fire2 … fire9.
    static let fires: [(Int, Int)] = [(16, 64), (16, 64), (32, 128), (32, 128), (48, 192), (48, 192), (64, 256), (64, 256)]
    /// torchvision's `features` index of fire2 … fire9 (the max pools sit at 2, 5 and 8).
    static let fireIndex = [3, 4, 6, 7, 9, 10, 11, 12]

    /// The state_dict names of torchvision's squeezenet1_1, in its parameter order.
    public static let parameterNames: [String] = {
        var names = ["features.0.weight", "features.0.bias"]
        for i in fireIndex {
            for part in ["squeeze", "expand1x1", "expand3x3"] { names += ["features.\(i).\(part).weight", "features.\(i).\(part).bias"] }
        }
        return names + ["classifier.1.weight", "classifier.1.bias"]
    }()

    public let parameters: [Parameter]
    private let normalization = ChannelNormalization.imageNet
    /// The network as stages, one per layer name (conv10's stage stops before its ReLU).
    private let stages: [(SqueezeNetLayer, Module)]

    public enum WeightsMismatch: Error, Equatable, CustomStringConvertible {
        case count(Int)
        case shape(name: String, expected: [Int], got: [Int])
        public var description: String {
            switch self {
            case let .count(n):
                return "not SqueezeNet 1.1 weights: expected 52 tensors (torchvision names such as features.0.weight, or an ncnn model in layer order), got \(n)"
            case let .shape(name, e, g):
                return "not SqueezeNet 1.1 weights: \(name) has shape \(g), expected \(e)"
            }
        }
    }

    /// Builds the network from torchvision-named tensors (a converted state_dict), or,
    /// when the names are not torchvision's, from exactly 52 tensors in the network's
    /// order (an ncnn model's convolutions in file order). Shapes are checked either way.
    public convenience init(weights: [WeightTensor]) throws {
        self.init()
        try load(weights)
    }

    /// The network with all weights zero.
    init() {
        var convs: [Conv2d] = []
        func conv(_ cin: Int, _ cout: Int, _ k: Int, stride: Int = 1, pad: Int) -> Conv2d {
            let c = Conv2d(cin, cout, kernel: k, stride: stride, padding: .zero, bias: true,
                           name: String(Self.parameterNames[2 * convs.count].dropLast(7)), pad: pad)
            c.needsParameterGradients = false
            convs.append(c)
            return c
        }
        func relu() -> Module { LeakyReLU(slope: 0) }
        func pool() -> Module { MaxPool2d(kernel: 3, stride: 2, ceilMode: true) }
        var stages: [(SqueezeNetLayer, Module)] = [(.conv1, Sequential([conv(3, 64, 3, stride: 2, pad: 0), relu()]))]
        var cin = 64
        for (n, (s, e)) in Self.fires.enumerated() {
            let squeeze = Sequential([conv(cin, s, 1, pad: 0), relu()])
            let expand = Concat([Sequential([conv(s, e, 1, pad: 0), relu()]), Sequential([conv(s, e, 3, pad: 1), relu()])])
            let before: [Module] = n == 0 || n == 2 || n == 4 ? [pool()] : []
            stages.append((SqueezeNetLayer(rawValue: "fire\(n + 2)")!, Sequential(before + [squeeze, expand])))
            cin = 2 * e
        }
        stages.append((.conv10, conv(cin, 1000, 1, pad: 0)))
        stages.append((.logits, Sequential([relu(), GlobalAveragePool()])))
        self.stages = stages
        parameters = convs.flatMap(\.parameters)
    }

    /// Copies pretrained weights in (see `init(weights:)`).
    public func load(_ weights: [WeightTensor]) throws {
        let byName = Dictionary(weights.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let ordered: [WeightTensor]
        if Self.parameterNames.allSatisfy({ byName[$0] != nil }) {
            ordered = Self.parameterNames.map { byName[$0]! }
        } else if weights.count == Self.parameterNames.count {
            ordered = weights
        } else {
            throw WeightsMismatch.count(weights.count)
        }
        for (p, w) in zip(parameters, ordered) {
            guard w.shape == p.shape, w.values.count == p.count else {
                throw WeightsMismatch.shape(name: w.name, expected: p.shape, got: w.shape)
            }
            p.values = w.values
        }
    }

    /// An independent network with the same weights (the layers hold per-run buffers,
    /// so concurrent runs need one each).
    public func copy() -> SqueezeNet {
        let c = SqueezeNet()
        for (a, b) in zip(c.parameters, parameters) { a.value.update(from: b.value, count: b.count) }
        return c
    }

    /// The network from the (normalised) image to the output of `layer`; input gradients on.
    /// The stages are shared: run one truncation at a time.
    public func network(upTo layer: SqueezeNetLayer) -> Sequential {
        var modules: [Module] = [normalization]
        for (name, stage) in stages {
            modules.append(stage)
            if name == layer { break }
        }
        let seq = Sequential(modules)
        seq.needsInputGradient = true
        return seq
    }

    /// The 1000 class scores (pre-softmax) for an RGB image in [0, 1].
    public func logits(_ image: Tensor, compute: Compute = .serial) -> [Float] {
        network(upTo: .logits).forward(image, compute).values
    }

    /// The indices and softmax probabilities of the `k` highest scores, best first.
    public static func top(_ k: Int, of logits: [Float]) -> [(index: Int, probability: Float)] {
        let m = logits.max() ?? 0
        let e = logits.map { expf($0 - m) }
        let z = e.reduce(0, +)
        return logits.indices.sorted { logits[$0] > logits[$1] }.prefix(k).map { ($0, e[$0] / z) }
    }

    /// The classifier takes RGB: a gray image is repeated into three channels.
    public static func rgb(_ t: Tensor) -> Tensor {
        t.channels == 3 ? t : Tensor(interleaved: t.values.flatMap { [$0, $0, $0] }, width: t.width, height: t.height, channels: 3)
    }

    /// torchvision's evaluation preprocessing: shorter side resized to 256, centre 224×224 crop.
    public static func preprocess(_ image: Tensor, resize: Int = 256, crop: Int = 224) -> Tensor {
        let scale = Double(resize) / Double(min(image.width, image.height))
        let w = image.width <= image.height ? resize : Int(Double(image.width) * scale)
        let h = image.height <= image.width ? resize : Int(Double(image.height) * scale)
        let r = ImageResize.resize(image, width: w, height: h, filter: .bilinear)
        let x0 = Int((Double(w - crop) / 2).rounded()), y0 = Int((Double(h - crop) / 2).rounded())
        return r.cropped(x: max(0, x0), y: max(0, y0), width: min(crop, w), height: min(crop, h))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
