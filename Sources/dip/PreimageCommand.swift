import ArgumentParser
import DIPEngine
import DIPTasks
import Foundation

struct PreimageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preimage",
        abstract: "Invert a classifier's features: find the image the network produces whose SqueezeNet features match the input's.",
        discussion: """
        The natural pre-image of the reference (feature inversion), with SqueezeNet 1.1 in place of AlexNet: \
        the image is resized to --size² (--save-degraded saves it), its features at --layer are computed once, and the network is \
        fitted so that the features of its output match them (MSE). The loss shown is that feature MSE; \
        the PSNR shown compares the output with the resized input, which the fit does not aim for.
        """)

    @Argument(help: "The image whose features are inverted (PNG or JPEG).") var input: String
    @Option(help: "SqueezeNet 1.1 weights: .safetensors, or an ncnn .param/.bin pair (either file).") var weights: String
    @Option(help: "The layer whose features are matched: fire9 (512×13×13 at 224²), conv10 (pre-ReLU class maps), or an earlier fireN / conv1.")
    var layer = "fire9"
    @Option(help: "The image is resized to this size squared (the reference: 224).") var size = 224
    @Option(help: "adam (the reference's default) or lbfgs (100 Adam steps at lr 0.001, then L-BFGS; --iterations counts both).")
    var optimizer = "adam"
    @OptionGroup var fit: FitOptions

    func validate() throws {
        guard (32...1024).contains(size) else { throw ValidationError("--size must be 32...1024") }
        guard FitSettings.Optimizer(rawValue: optimizer) != nil else { throw ValidationError("--optimizer must be adam or lbfgs") }
    }

    func run() throws {
        try fit.kernels.select()     // the target's features are computed before the fit starts
        let layer = try ClassifierFiles.layer(self.layer)
        let image = try SqueezeNet.rgb(fit.load(input).tensor)
        let classifier = try ClassifierFiles.squeezeNet(weights)
        let target = ImageResize.resize(image, width: size, height: size, filter: .lanczos3)
        if let path = fit.saveDegraded { try ImageFiles.savePNG(target, to: path) }

        var spec = try fit.spec(.preimage)
        spec.layer = layer
        spec.optimizer = FitSettings.Optimizer(rawValue: optimizer)!
        let task = try fit.build(spec, TaskInputs(image: target), classifier: classifier)
        // The loss is the feature MSE; psnr_input compares the output with the resized input, which the fit does not aim for.
        try FitRun(command: "preimage", input: input, options: fit,
                   settings: ["layer": layer.rawValue, "optimizer": optimizer, "size": "\(size)",
                              "psnr_input": "PSNR of the output against the resized input (not minimised)"])
            .run(task)
    }
}
