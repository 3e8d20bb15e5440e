import ArgumentParser
import DIPEngine
import Foundation

struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Classify an image with the pretrained SqueezeNet 1.1 (a check of the weights the pre-image uses).",
        discussion: "The image is resized (shorter side 256) and centre-cropped to 224×224, as torchvision's evaluation.")

    @Argument(help: "The image (PNG or JPEG).") var input: String
    @Option(help: "SqueezeNet 1.1 weights: .safetensors, or an ncnn .param/.bin pair (either file).") var weights: String
    @Option(help: "Synset file naming the 1000 classes, one a line (e.g. synset_words.txt).") var synsets: String?
    @Option(help: "How many classes to print.") var top = 5
    @Option(help: "Threads for the engine (default: all cores).") var threads: Int?
    @OptionGroup var kernels: KernelOptions

    func validate() throws {
        guard (1...1000).contains(top) else { throw ValidationError("--top must be 1...1000") }
        if let t = threads, !(1...256).contains(t) { throw ValidationError("--threads must be 1...256") }
    }

    func run() throws {
        try kernels.select()
        let net = try ClassifierFiles.squeezeNet(weights)
        let names = try synsets.map(ClassifierFiles.classNames)
        let image = try SqueezeNet.rgb(ImageFiles.load(input).tensor)
        let x = SqueezeNet.preprocess(image)
        let logits = net.logits(x, compute: Compute(threads: threads ?? ProcessInfo.processInfo.activeProcessorCount))
        for (rank, c) in SqueezeNet.top(top, of: logits).enumerated() {
            let name = names.flatMap { c.index < $0.count ? $0[c.index] : nil } ?? ""
            print(String(format: "%d  %6.2f%%  %4d  %@", rank + 1, c.probability * 100, c.index, name))
        }
    }
}
