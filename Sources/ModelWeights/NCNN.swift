/// An ncnn model: the `.param` text (the layer graph) and the `.bin` weights.
///
/// `.param`: the magic 7767517, then `<layer count> <blob count>`, then one
/// line per layer: `Type name inputCount outputCount inputs… outputs… k=v…`.
/// `.bin`: for each Convolution, in `.param` order, a 4-byte tag (0x01306B47:
/// fp16 follows) and `weight_count` fp16 values (OIHW, padded to 4 bytes),
/// then `num_output` fp32 biases without a tag. Only these layer types carry
/// weights here; others (Pooling, Split, Concat, …) are kept as graph entries.
public struct NCNNModel: Sendable {
    public struct Layer: Sendable, Equatable {
        public var type: String
        public var name: String
        public var inputs: [String]
        public var outputs: [String]
        /// Parameter id → value text (e.g. 0 → "64", 1 → "3").
        public var params: [Int: String]

        public func int(_ key: Int, default d: Int = 0) -> Int { params[key].flatMap { Int($0) } ?? d }
    }

    public static let magic = 7_767_517
    public static let fp16Tag: UInt32 = 0x0130_6B47
    static let fp32Tag: UInt32 = 0
    /// Limits that keep a hostile `.param` from asking for absurd work.
    static let maxLayers = 10_000, maxWeightCount = 1 << 28

    public let layers: [Layer]
    /// For each Convolution in file order: `<name>.weight` (out × in × k × k), then `<name>.bias` (out) if present.
    public let tensors: [NamedTensor]

    public static func load(paramPath: String, binPath: String) throws -> NCNNModel {
        let paramBytes = try WeightsFile.readBytes(paramPath)
        guard let text = String(validating: paramBytes, as: UTF8.self) else { throw WeightsError("\(paramPath): not UTF-8 text") }
        let layers: [Layer]
        do { layers = try parseParam(text) } catch let e as WeightsError { throw WeightsError("\(paramPath): \(e)") }
        do {
            return NCNNModel(layers: layers, tensors: try readWeights(layers, try WeightsFile.readBytes(binPath)))
        } catch let e as WeightsError {
            throw e.description.hasPrefix(binPath) ? e : WeightsError("\(binPath): \(e)")
        }
    }

    public init(layers: [Layer], tensors: [NamedTensor]) { self.layers = layers; self.tensors = tensors }

    public static func parseParam(_ text: String) throws -> [Layer] {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.split(separator: " ", omittingEmptySubsequences: true) }
            .filter { !$0.isEmpty }
        guard lines.count >= 2, lines[0].count == 1, Int(lines[0][0]) == magic else {
            throw WeightsError("not an ncnn .param file (magic \(magic) missing)")
        }
        guard lines[1].count == 2, let layerCount = Int(lines[1][0]), let blobCount = Int(lines[1][1]),
              (0...maxLayers).contains(layerCount), blobCount >= 0 else {
            throw WeightsError("bad layer/blob count line")
        }
        guard lines.count - 2 == layerCount else {
            throw WeightsError("header says \(layerCount) layers, file has \(lines.count - 2)")
        }
        var layers: [Layer] = []
        for (n, f) in lines.dropFirst(2).enumerated() {
            let where_ = "layer line \(n + 1)"
            guard f.count >= 4, let nIn = Int(f[2]), let nOut = Int(f[3]), nIn >= 0, nOut >= 0,
                  f.count >= 4 + nIn + nOut else { throw WeightsError("\(where_): malformed") }
            var params: [Int: String] = [:]
            for kv in f[(4 + nIn + nOut)...] {
                let parts = kv.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, let k = Int(parts[0]) else { throw WeightsError("\(where_): bad parameter '\(kv)'") }
                params[k] = String(parts[1])
            }
            layers.append(Layer(type: String(f[0]), name: String(f[1]), inputs: f[4..<(4 + nIn)].map(String.init),
                                outputs: f[(4 + nIn)..<(4 + nIn + nOut)].map(String.init), params: params))
        }
        return layers
    }

    static func readWeights(_ layers: [Layer], _ bin: [UInt8]) throws -> [NamedTensor] {
        let r = ByteReader(bin)
        var at = 0
        var out: [NamedTensor] = []
        func need(_ n: Int, _ what: String) throws {
            guard n >= 0, at <= bin.count, n <= bin.count - at else {
                throw WeightsError("truncated: \(what) needs \(n) bytes at offset \(at), file has \(bin.count)")
            }
        }
        for layer in layers where layer.type == "Convolution" {
            let cout = layer.int(0), k = layer.int(1), kh = layer.int(11, default: k), count = layer.int(6)
            guard cout > 0, k > 0, kh > 0, count > 0, count <= maxWeightCount, count % (cout * k * kh) == 0 else {
                throw WeightsError("\(layer.name): inconsistent num_output \(cout), kernel \(k)×\(kh), weight_count \(count)")
            }
            try need(4, "\(layer.name) tag")
            let tag = r.uint32(at: at); at += 4
            var w = [Float](repeating: 0, count: count)
            switch tag {
            case fp16Tag:
                try need(count * 2, "\(layer.name) fp16 weights")
                for i in 0..<count { w[i] = HalfFloat.fromF16(r.uint16(at: at + 2 * i)) }
                at += (count * 2 + 3) / 4 * 4
            case fp32Tag:
                try need(count * 4, "\(layer.name) fp32 weights")
                for i in 0..<count { w[i] = r.float32(at: at + 4 * i) }
                at += count * 4
            default:
                throw WeightsError("\(layer.name): unsupported weight storage tag 0x\(String(tag, radix: 16)) (fp16 and fp32 are read)")
            }
            out.append(NamedTensor(name: layer.name + ".weight", shape: [cout, count / (cout * k * kh), kh, k], values: w))
            if layer.int(5) != 0 {
                try need(cout * 4, "\(layer.name) bias")
                out.append(NamedTensor(name: layer.name + ".bias", shape: [cout],
                                       values: (0..<cout).map { r.float32(at: at + 4 * $0) }))
                at += cout * 4
            }
        }
        guard at == bin.count else { throw WeightsError("\(bin.count - at) bytes left over after the last convolution") }
        return out
    }
}
