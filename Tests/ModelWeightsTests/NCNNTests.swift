import Foundation
import TestData
import Testing
@testable import ModelWeights

@Suite("ncnn")
struct NCNNTests {
    static let param = TestData.squeezeNetParam.path
    static let bin = TestData.squeezeNetBin.path

    @Test func squeezeNetLoadsToItsParameterCount() throws {
        let model = try NCNNModel.load(paramPath: Self.param, binPath: Self.bin)
        #expect(model.layers.count == 49)
        #expect(model.tensors.count == 52)
        #expect(model.tensors.reduce(0) { $0 + $1.count } == 1_235_496)
        #expect(model.tensors[0].name == "convrelu_0.weight" && model.tensors[0].shape == [64, 3, 3, 3])
        #expect(model.tensors.last!.shape == [1000])
        // The first fire module: squeeze 1×1, then expand 1×1 and 3×3 in the order the Concat takes them.
        #expect(model.tensors[4].shape == [64, 16, 1, 1] && model.tensors[6].shape == [64, 16, 3, 3])
        let concat = try #require(model.layers.first { $0.type == "Concat" })
        let producers = concat.inputs.map { blob in model.layers.first { $0.outputs.contains(blob) }!.name }
        #expect(producers == ["convrelu_3", "convrelu_2"])
        #expect(model.tensors[4].name == "convrelu_3.weight")
        // Either half of the pair names the model.
        #expect(try WeightsFile.load(path: Self.bin).count == 52)
        #expect(try WeightsFile.load(path: Self.param).map(\.values) == model.tensors.map(\.values))
    }

    @Test func convertsToSafetensorsAndBack() throws {
        let tensors = try WeightsFile.load(path: Self.param)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("weights-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(SafeTensors.write(tensors)).write(to: url)
        #expect(try WeightsFile.load(path: url.path) == tensors)
    }

    static let miniParam = """
    7767517
    2 2
    Input            in0   0 1 in0
    Convolution      c0    1 1 in0 out 0=2 1=1 5=1 6=6
    """

    @Test func smallModelAndItsDefects() throws {
        let layers = try NCNNModel.parseParam(Self.miniParam)
        var bin: [UInt8] = [0x47, 0x6B, 0x30, 0x01]
        for v: Float in [1, 2, 3, -1, 0.5, 0] { withUnsafeBytes(of: Float16(v).bitPattern.littleEndian) { bin += $0 } }
        for v: Float in [0.25, -4] { withUnsafeBytes(of: v.bitPattern.littleEndian) { bin += $0 } }
        let t = try NCNNModel.readWeights(layers, bin)
        #expect(t.map(\.name) == ["c0.weight", "c0.bias"])
        #expect(t[0].shape == [2, 3, 1, 1] && t[0].values == [1, 2, 3, -1, 0.5, 0] && t[1].values == [0.25, -4])

        #expect(throws: WeightsError.self) { try NCNNModel.readWeights(layers, Array(bin.dropLast())) }
        #expect(throws: WeightsError.self) { try NCNNModel.readWeights(layers, bin + [0, 0, 0, 0]) }
        #expect(throws: WeightsError.self) { try NCNNModel.readWeights(layers, [9, 9, 9, 9] + bin.dropFirst(4)) }
        #expect(throws: WeightsError.self) { try NCNNModel.parseParam("7767517\n5 5\nInput in0 0 1 in0\n") }
        #expect(throws: WeightsError.self) { try NCNNModel.parseParam("123\n1 1\nInput in0 0 1 in0\n") }
        #expect(throws: WeightsError.self) { try NCNNModel.parseParam("7767517\n1 1\nConvolution c 3 1 a\n") }
        let badCount = try NCNNModel.parseParam(Self.miniParam.replacingOccurrences(of: "6=6", with: "6=7"))
        #expect(throws: WeightsError.self) { try NCNNModel.readWeights(badCount, bin) }
    }

    @Test func missingFilesAndUnknownFormats() {
        #expect(throws: WeightsError("/nonexistent/w.safetensors: no such file")) { try WeightsFile.load(path: "/nonexistent/w.safetensors") }
        #expect(throws: WeightsError.self) { try WeightsFile.load(path: "/nonexistent/w.pth") }
    }
}
