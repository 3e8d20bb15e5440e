import ArgumentParser
import DIPEngine
import DIPTasks
import Foundation

struct SuperResolutionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "super-resolution",
        abstract: "Enlarge an image 2, 4 or 8 times.",
        discussion: """
        --preset reference: the reference's settings, the 128-channel network, 32 noise inputs, lr 0.01; \
        x4: 2000 iterations, input jitter 0.03; x8: 4000 iterations, jitter 0.05 (x2 uses the x4 settings); \
        the result is the last output. balanced (the default) and fast narrow that network to 32 channels \
        and fit its input too, with a total-variation term (0.2 at x2, 0.4 at x4 and x8) and an output \
        average of 0.9, for 300 iterations; the result is the averaged output. The loss compares the \
        Lanczos-2 reduction of the output with the input. Sizes whose \
        enlargement the network cannot map are reflect-padded and cropped back: the output is always \
        exactly factor times the input. For evaluation, --from-ground-truth takes the input as the \
        high-resolution truth, reduces it (Lanczos-3, 8 bits, as the reference; the sides are first \
        centre-cropped to multiples of the factor) and compares the result with it, also on Y with a \
        4-pixel border shaved (the paper's protocol) next to bicubic enlargement.
        """)

    @Argument(help: "The low-resolution image (or the high-resolution truth with --from-ground-truth).")
    var input: String
    @Option(help: "Enlargement factor: 2, 4 or 8.") var factor: Int
    @OptionGroup var fit: FitOptions
    @Flag(help: "The input is the high-resolution truth: reduce it first and compare against it.") var fromGroundTruth = false
    @Option(help: "The high-resolution truth to compare against (factor times the input).") var groundTruth: String?

    func validate() throws {
        guard SuperResolutionTask.factors.contains(factor) else { throw ValidationError("--factor must be 2, 4 or 8, not \(factor)") }
        if fromGroundTruth && groundTruth != nil { throw ValidationError("--from-ground-truth and --ground-truth exclude each other") }
    }

    func run() throws {
        let loaded = try fit.load(input)
        var low = loaded.tensor, alpha = loaded.alpha
        var truth: Tensor?
        if fromGroundTruth {
            let t = loaded.tensor
            let w = t.width / factor * factor, h = t.height / factor * factor
            guard w > 0, h > 0 else { throw CLIError("\(input): \(t.width)x\(t.height) is smaller than the factor") }
            let hr = t.cropped(x: (t.width - w) / 2, y: (t.height - h) / 2, width: w, height: h)
            low = try SuperResolutionTask.downscale(hr, factor: factor)
            truth = hr; alpha = nil
        }
        try fit.checkSize(width: low.width * factor, height: low.height * factor)
        if let groundTruth {
            truth = try fit.loadTruth(groundTruth, shape: Shape(low.channels, low.height * factor, low.width * factor),
                                      what: "enlarged input")
        }
        if let path = fit.saveDegraded { try ImageFiles.savePNG(low, to: path) }
        var spec = try fit.spec(.superResolution)
        spec.factor = factor
        let task = try fit.build(spec, TaskInputs(image: low))
        let bicubic = Evaluation.bicubicUpsample(low, factor: factor)
        let factor = self.factor
        try FitRun(command: "super-resolution", input: input, options: fit,
                   settings: ["factor": "\(factor)", "from_ground_truth": "\(fromGroundTruth)"],
                   truth: truth, degradedPSNR: truth.map { PSNR.compute($0, Evaluation.clamped(bicubic)) },
                   inputPSNR: nil, alpha: alpha.map { Self.enlarge($0, width: low.width, height: low.height, factor: factor) },
                   evaluate: truth.map { t in { out in
                       [.init(key: "psnr_y_shave4_bicubic", label: "Y-PSNR (4 px shaved): bicubic",
                              value: Evaluation.superResolutionPSNR(t, bicubic)),
                        .init(key: "psnr_y_shave4_result", label: "result", value: Evaluation.superResolutionPSNR(t, out))]
                   } }).run(task)
    }

    /// An alpha plane enlarged by pixel repetition, to go back on the result.
    static func enlarge(_ a: [Float], width: Int, height: Int, factor: Int) -> [Float] {
        var out = [Float](repeating: 0, count: width * height * factor * factor)
        for y in 0..<(height * factor) { for x in 0..<(width * factor) {
            out[y * width * factor + x] = a[(y / factor) * width + x / factor]
        } }
        return out
    }
}

struct FlashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flash",
        abstract: "Flash/no-flash: the no-flash photograph's light with the flash photograph's detail.",
        discussion: """
        The flash image is the network's input and the no-flash image its target (the reference's \
        settings: the 128-channel network with 4 skip channels, upsampling nearest on the two finest \
        levels and bilinear below, lr 0.1, 601 iterations, no jitter, no average). The two photographs \
        must be the same size; --crop applies to both.
        """)

    @Argument(help: "The no-flash photograph (the target).")
    var noFlash: String
    @Option(help: "The flash photograph of the same scene (the network's input).") var guide: String
    @OptionGroup var fit: FitOptions

    func run() throws {
        let target = try fit.load(noFlash), flash = try fit.load(guide).tensor
        try fit.checkSize(width: target.tensor.width, height: target.tensor.height)
        let task = try fit.build(fit.spec(.flash), TaskInputs(image: target.tensor, guide: flash))
        if let path = fit.saveDegraded { try ImageFiles.savePNG(flash, to: path) }
        let goal = target.tensor
        try FitRun(command: "flash", input: noFlash, options: fit, settings: ["guide": guide],
                   inputPSNR: { PSNR.compute(goal, $0) }, alpha: target.alpha,
                   evaluate: { out in
                       [.init(key: "psnr_flash_vs_noflash", label: "PSNR vs no-flash: flash image",
                              value: flash.shape == goal.shape ? PSNR.compute(goal, flash) : .nan),
                        .init(key: "psnr_result_vs_noflash", label: "result", value: PSNR.compute(goal, out))]
                   }).run(task)
    }
}
