import DIPEngine
import ModelWeights

/// The pretrained classifier of the preimage and activation tasks: its weights are read once, when the
/// service starts (a bad file stops the start), and every job gets its own copy,
/// since the network's layers hold per-run buffers.
final class ClassifierProvider: @unchecked Sendable {
    // Sound: the prototype is written once, in init, and afterwards only read (copied).
    private let prototype: SqueezeNet?

    init(weightsPath: String) throws {
        guard !weightsPath.isEmpty else { prototype = nil; return }
        let tensors = try WeightsFile.load(path: weightsPath)
        prototype = try SqueezeNet(weights: tensors.map { WeightTensor(name: $0.name, shape: $0.shape, values: $0.values) })
    }

    var isAvailable: Bool { prototype != nil }

    func make() -> SqueezeNet? { prototype?.copy() }
}
