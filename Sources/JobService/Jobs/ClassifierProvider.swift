import DIPEngine
import ModelWeights

/// The pre-image task's pretrained classifier: its weights are read once, when the
/// service starts (a bad file stops the start), and every job gets its own copy,
/// since the network's layers hold per-run buffers.
final class ClassifierProvider: @unchecked Sendable {
    private let prototype: SqueezeNet?

    struct LoadError: Error, CustomStringConvertible { var description: String }

    init(weightsPath: String) throws {
        guard !weightsPath.isEmpty else { prototype = nil; return }
        do {
            let tensors = try WeightsFile.load(path: weightsPath)
            prototype = try SqueezeNet(weights: tensors.map { WeightTensor(name: $0.name, shape: $0.shape, values: $0.values) })
        } catch {
            throw LoadError(description: "preimage_weights \(weightsPath): \(error)")
        }
    }

    var isAvailable: Bool { prototype != nil }

    func make() -> SqueezeNet? { prototype?.copy() }
}
