import DIPEngine
import Foundation
import ModelWeights

/// Pretrained classifier weights for the CLI: a weights file ↔ ModelWeights ↔ the engine's SqueezeNet.
enum ClassifierFiles {
    /// SqueezeNet 1.1 from a `.safetensors` file (torchvision names) or an ncnn `.param`/`.bin` pair.
    static func squeezeNet(_ path: String) throws -> SqueezeNet {
        do {
            let tensors = try WeightsFile.load(path: path)
            return try SqueezeNet(weights: tensors.map { WeightTensor(name: $0.name, shape: $0.shape, values: $0.values) })
        } catch let e as WeightsError {
            throw CLIError(e.description)
        } catch let e as SqueezeNet.WeightsMismatch {
            throw CLIError("\(path): \(e)")
        }
    }

    /// Class names from a synset file: one class a line, "n01440764 tench, Tinca tinca" → "tench, Tinca tinca".
    static func classNames(_ path: String) throws -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CLIError("\(path): cannot read the synset file") }
        return text.split(whereSeparator: \.isNewline).map { line in
            let parts = line.split(separator: " ", maxSplits: 1)
            return parts.count == 2 && parts[0].first == "n" ? String(parts[1]) : String(line)
        }
    }

    static func layer(_ name: String) throws -> SqueezeNetLayer {
        guard let l = SqueezeNetLayer(rawValue: name), l != .logits else {
            let names = SqueezeNetLayer.allCases.filter { $0 != .logits }.map(\.rawValue).joined(separator: ", ")
            throw CLIError("unknown layer '\(name)' (SqueezeNet 1.1 layers: \(names))")
        }
        return l
    }
}
