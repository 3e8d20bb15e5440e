import ArgumentParser
import DIPEngine
import Foundation
import ModelWeights

struct ConvertWeightsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert-weights",
        abstract: "Convert a weights file (ncnn .param/.bin pair or .safetensors) to .safetensors.",
        discussion: "With --squeezenet-names, an ncnn SqueezeNet 1.1 gets torchvision's tensor names (features.0.weight, …).")

    @Argument(help: "The weights: .safetensors, or either file of an ncnn .param/.bin pair.") var input: String
    @Option(name: [.short, .customLong("output")], help: "The .safetensors file to write.") var output: String
    @Option(help: "Storage type: F32, F16 or BF16.") var dtype = "F32"
    @Flag(help: "Name the tensors as torchvision's squeezenet1_1 (checks that they are SqueezeNet 1.1).") var squeezenetNames = false

    func validate() throws {
        guard let d = SafeTensors.DType(rawValue: dtype.uppercased()), d != .f64 else { throw ValidationError("--dtype must be F32, F16 or BF16") }
    }

    func run() throws {
        var tensors: [NamedTensor]
        do { tensors = try WeightsFile.load(path: input) } catch let e as WeightsError { throw CLIError(e.description) }
        if squeezenetNames {
            _ = try ClassifierFiles.squeezeNet(input)     // the shapes must be SqueezeNet 1.1's
            if !SqueezeNet.parameterNames.allSatisfy({ name in tensors.contains { $0.name == name } }) {
                tensors = zip(SqueezeNet.parameterNames, tensors).map { NamedTensor(name: $0, shape: $1.shape, values: $1.values) }
            }
        }
        let bytes = try SafeTensors.write(tensors, dtype: SafeTensors.DType(rawValue: dtype.uppercased())!)
        do {
            try OutputFile.write(Data(bytes), to: output)
        } catch {
            throw CLIError("\(output): cannot write: \(error.localizedDescription)")
        }
        Terminal.errorLine("\(tensors.count) tensors, \(tensors.reduce(0) { $0 + $1.count }) values → \(output) (\(bytes.count) bytes)")
    }
}
