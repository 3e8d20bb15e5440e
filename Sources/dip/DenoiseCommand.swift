import ArgumentParser
import DIPEngine
import DIPTasks
import Foundation

struct DenoiseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "denoise",
        abstract: "Remove noise by fitting the network to the noisy image (the balanced preset by default).",
        discussion: """
        The reference settings: 3000 iterations, lr 0.01, input jitter 1/30, output average 0.99, \
        backtracking (--preset reference). The fast and balanced presets also fit the network's input, \
        with a total-variation term, and stop on the error at held-out pixels: a few hundred iterations. \
        The result is the exponential average of the network's outputs. For evaluation, \
        --add-noise adds Gaussian noise to a clean input first (and then compares against it), and \
        --ground-truth names a clean image to compare against. --report writes the whole curve as JSON.
        """)

    @Argument(help: "The noisy image (PNG or JPEG), or a clean one with --add-noise.")
    var input: String
    @OptionGroup var fit: FitOptions
    @Option(help: "Add Gaussian noise of this σ (0–255 scale) to the input first.") var addNoise: Float?
    @Option(help: "Clean image to compare against.") var groundTruth: String?

    func validate() throws {
        if let s = addNoise, !(s > 0 && s <= 255) { throw ValidationError("--add-noise must be in (0, 255]") }
    }

    func run() throws {
        try Self.fitImage(command: "denoise", input: input, fit: fit, jpeg: false, addNoise: addNoise, groundTruth: groundTruth)
    }

    /// Denoising and de-JPEG: the network fits the degraded image itself.
    static func fitImage(command: String, input: String, fit: FitOptions, jpeg: Bool,
                         addNoise: Float?, groundTruth: String?) throws {
        let loaded = try fit.load(input)
        let clean = loaded.tensor
        try fit.checkSize(width: clean.width, height: clean.height)
        var truth = try groundTruth.map { try fit.loadTruth($0, shape: clean.shape) }
        var degraded = clean
        if let sigma = addNoise {
            degraded = Degradation.addGaussianNoise(clean, sigma: sigma / 255, seed: fit.seed)
            if truth == nil { truth = clean }
        }
        if let path = fit.saveDegraded { try ImageFiles.savePNG(degraded, to: path) }

        let task = try fit.build(fit.spec(jpeg ? .jpeg : .denoise), TaskInputs(image: degraded))
        let noisy = degraded
        try FitRun(command: command, input: input, options: fit,
                   settings: ["add_noise": addNoise.map { "\($0)" } ?? "none"],
                   truth: truth, degradedPSNR: truth.map { PSNR.compute($0, degraded) },
                   inputPSNR: { PSNR.compute(noisy, $0) }, alpha: loaded.alpha,
                   evaluate: jpeg ? { out in
                       [.init(key: "blockiness_input", label: "8x8 blockiness: input", value: Evaluation.blockiness(noisy), unit: ""),
                        .init(key: "blockiness_result", label: "result", value: Evaluation.blockiness(out), unit: "")]
                   } : nil).run(task)
    }
}

struct JPEGCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jpeg",
        abstract: "Remove JPEG artefacts (blind): fit a network to the compressed image.",
        discussion: """
        --preset reference: the reference's blind de-JPEG settings (the snail example), a network of \
        8…128 channels with skips on the two coarsest levels, 3 noise inputs, 2400 iterations, lr 0.01, \
        input jitter 1/30, output average 0.99, backtracking. balanced (the default) and fast fit \
        denoising's network narrowed to 32 channels with its input, a total-variation term and an \
        output average of 0.9, for 175 and 160 iterations. The result is the averaged output.
        """)

    @Argument(help: "The JPEG-compressed image (JPEG or PNG).")
    var input: String
    @OptionGroup var fit: FitOptions
    @Option(help: "Clean image to compare against.") var groundTruth: String?

    func run() throws {
        try DenoiseCommand.fitImage(command: "jpeg", input: input, fit: fit, jpeg: true, addNoise: nil, groundTruth: groundTruth)
    }
}
