import DIPEngine
import Foundation
import ModelWeights
import Testing

/// The pretrained SqueezeNet 1.1 (the shared ncnn file) on the reference's pictures.
@Suite("SqueezeNet classifier")
struct ClassifierTests {
    func top5(_ file: String) throws -> [String] {
        let net = try SharedData.squeezeNet()
        let x = SqueezeNet.preprocess(try SharedData.image(file))
        #expect(x.shape == Shape(3, 224, 224))
        let top = SqueezeNet.top(5, of: net.logits(x, compute: Compute(threads: 2)))
        return top.map { SharedData.classNames[$0.index] }
    }

    // The weights' README (a numpy forward pass of the same file) gives the first three.
    @Test func building() throws {
        let names = try top5("building.jpg")
        #expect(Array(names.prefix(3)) == ["planetarium", "dome", "mosque"], "\(names)")
    }

    @Test func monkey() throws {
        let names = try top5("monkey.jpg")
        #expect(Array(names.prefix(3)) == ["guenon", "patas", "macaque"], "\(names)")
    }

    @Test func parameterCountAndFeatureShapes() throws {
        let net = try SharedData.squeezeNet()
        #expect(net.parameters.reduce(0) { $0 + $1.count } == SqueezeNet.parameterCount)
        #expect(net.network(upTo: .fire9).outputShape(for: Shape(3, 224, 224)) == Shape(512, 13, 13))
        #expect(net.network(upTo: .conv10).outputShape(for: Shape(3, 224, 224)) == Shape(1000, 13, 13))
        #expect(net.network(upTo: .logits).outputShape(for: Shape(3, 224, 224)) == Shape(1000, 1, 1))
    }

    @Test func torchvisionNamesAndWrongWeights() throws {
        let ncnn = try WeightsFile.load(path: SharedData.param)
        // Renamed to torchvision's state_dict names (and shuffled): the same network.
        let renamed = zip(SqueezeNet.parameterNames, ncnn).map { WeightTensor(name: $0, shape: $1.shape, values: $1.values) }.reversed()
        let a = try SharedData.squeezeNet(), b = try SqueezeNet(weights: Array(renamed))
        #expect(zip(a.parameters, b.parameters).allSatisfy { $0.values == $1.values })
        #expect(throws: SqueezeNet.WeightsMismatch.count(3)) {
            try SqueezeNet(weights: renamed.prefix(3).map { $0 })
        }
        var wrong = Array(renamed.reversed())
        wrong[0].shape = [64, 3, 1, 9]
        #expect(throws: SqueezeNet.WeightsMismatch.self) { try SqueezeNet(weights: wrong) }
    }
}
