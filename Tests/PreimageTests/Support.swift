import TestData
import DIPEngine
import Foundation
import ImageCodec
import ModelWeights

/// The demo pictures and the pretrained classifier from Tests/Data.
enum SharedData {
    static let param = TestData.squeezeNetParam.path

    static func image(_ name: String) throws -> Tensor {
        let bytes = try Data(contentsOf: TestData.demo("feature_inversion/\(name)"))
        let image = try ImageCodec.decode([UInt8](bytes)).converted(toChannels: 3)
        return Tensor(interleaved: image.samples, width: image.width, height: image.height, channels: 3)
    }

    static func squeezeNet() throws -> SqueezeNet {
        try SqueezeNet(weights: WeightsFile.load(path: param).map { WeightTensor(name: $0.name, shape: $0.shape, values: $0.values) })
    }

    /// synset_words.txt: line i names class i ("n03956157 planetarium" → "planetarium").
    static let classNames: [String] = {
        let text = (try? String(contentsOf: TestData.synsetWords, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { line in
            String(line.split(separator: " ", maxSplits: 1).last?.split(separator: ",").first ?? "")
        }
    }()
}

/// Runs a long computation on a thread of its own. Swift Testing runs synchronous tests on the
/// few threads (one per core) that async tests also need; a fit of many seconds there starves
/// the HTTP server tests' timing.
/// The result is `sending`: the thread that made it lets go of it, so it may hold tensors.
func onOwnThread<T>(_ body: @escaping @Sendable () throws -> sending T) async throws -> sending T {
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }.start()
    }
}
