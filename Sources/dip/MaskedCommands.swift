import ArgumentParser
import DIPEngine
import DIPTasks
import Foundation

extension FitOptions {
    /// The image and its mask file, checked to be the same size, both cropped by --crop.
    func loadWithMask(_ imagePath: String, mask maskPath: String) throws -> (LoadedImage, Tensor) {
        var loaded = try ImageFiles.load(imagePath)
        var mask = try ImageFiles.loadMask(maskPath)
        guard mask.width == loaded.tensor.width, mask.height == loaded.tensor.height else {
            throw CLIError("\(maskPath): the mask is \(mask.width)x\(mask.height), the image is \(loaded.tensor.width)x\(loaded.tensor.height)")
        }
        if let crop {
            loaded.tensor = try crop.apply(loaded.tensor)
            loaded.alpha = nil
            mask = try crop.apply(mask)
        }
        return (loaded, mask)
    }

    /// Runs a masked task (inpainting, restoration) with its evaluation against `truth`.
    func runMasked(_ task: any FittingTask, command: String, input: String, image: Tensor, mask: Tensor,
                                   truth: Tensor?, alpha: [Float]?, settings: [String: String]) throws {
        let degraded = Mask.apply(mask, to: image)
        if let path = saveDegraded { try ImageFiles.savePNG(degraded, to: path) }
        let holes = Mask.holes(mask)
        try FitRun(command: command, input: input, options: self,
                   settings: settings.merging(["known_fraction": String(format: "%.4f", Mask.knownFraction(mask))]) { $1 },
                   truth: truth, degradedPSNR: truth.map { PSNR.compute($0, degraded) },
                   inputPSNR: { PSNR.compute(image, $0, mask: mask) }, alpha: alpha,
                   evaluate: truth.map { t in { out in
                       [.init(key: "psnr_holes_degraded", label: "PSNR in the holes: degraded",
                              value: Evaluation.psnr(t, degraded, inside: holes)),
                        .init(key: "psnr_holes_result", label: "result", value: Evaluation.psnr(t, out, inside: holes))]
                   } }).run(task)
    }
}

struct InpaintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inpaint",
        abstract: "Fill the holes of an image given a mask (white = known pixel, black = hole).",
        discussion: """
        The reference's three setups (inpainting notebook), which --preset reference runs: text (kate: \
        32 noise inputs, 128 skip channels, 6001 iterations), large-hole (vase: a 2-channel meshgrid \
        input, no skips, 5001 iterations) and region (library: 1 noise input, 6 levels with 5x5 encoder \
        filters, 3001 iterations); all lr 0.01, nearest upsampling, no output average. balanced (the \
        default) and fast narrow the setup's network to 32 channels and fit its input too, with a \
        total-variation term and an output average of 0.9, and stop on the error at 2 % of the known \
        pixels left out of the loss (at most 1000 and 600 iterations). The mask is any gray or colour \
        image of the same size.
        """)

    @Argument(help: "The image (PNG or JPEG); what is under the holes is ignored.")
    var input: String
    @Option(help: "The mask: white = known pixel, black = hole, same size as the image.") var mask: String
    @Option(help: "Reference setup: text, large-hole or region.") var setup: InpaintingTask.Setup = .text
    @OptionGroup var fit: FitOptions
    @Option(help: "Clean image to compare against (overall and inside the holes).") var groundTruth: String?

    func run() throws {
        let (loaded, m) = try fit.loadWithMask(input, mask: mask)
        try fit.checkSize(width: loaded.tensor.width, height: loaded.tensor.height)
        let truth = try groundTruth.map { try fit.loadTruth($0, shape: loaded.tensor.shape) }
        var spec = try fit.spec(.inpaint)
        spec.setup = setup
        let task = try fit.build(spec, TaskInputs(image: loaded.tensor, mask: m))
        try fit.runMasked(task, command: "inpaint", input: input, image: loaded.tensor, mask: m, truth: truth,
                          alpha: loaded.alpha, settings: ["setup": setup.rawValue, "mask": mask])
    }
}

extension InpaintingTask.Setup: ExpressibleByArgument {}

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore an image from a subset of its pixels (a mask file, or a random mask with --keep).",
        discussion: """
        The reference's restoration settings, chosen by the image: gray (barbara, 50 % kept): the \
        128-channel network, lr 0.001, 11000 iterations, input jitter 0.03; colour (kate, 2 % kept): \
        channels 16…128, no skips, average pooling, lr 0.01, 1000 iterations. Both backtrack every 50 \
        iterations and keep no output average. With --keep the input is taken as clean, a random mask \
        (seeded by --seed) is drawn, and the result is compared against the input.
        """)

    @Argument(help: "The image (PNG or JPEG).")
    var input: String
    @Option(help: "The mask: white = known pixel, black = missing, same size as the image.") var mask: String?
    @Option(help: "Keep each pixel with this probability (0 < FRACTION < 1) instead of a mask file.") var keep: Double?
    @OptionGroup var fit: FitOptions
    @Option(help: "Clean image to compare against.") var groundTruth: String?

    func validate() throws {
        guard (mask == nil) != (keep == nil) else { throw ValidationError("give either --mask FILE or --keep FRACTION") }
        if let k = keep, !(k > 0 && k < 1) { throw ValidationError("--keep must be in (0, 1)") }
    }

    func run() throws {
        var spec = try fit.spec(.restore)
        spec.keep = keep
        let loaded: LoadedImage, m: Tensor
        if let mask {
            (loaded, m) = try fit.loadWithMask(input, mask: mask)
        } else {
            loaded = try fit.load(input)
            m = TaskCatalog.restorationMask(spec, height: loaded.tensor.height, width: loaded.tensor.width)
        }
        try fit.checkSize(width: loaded.tensor.width, height: loaded.tensor.height)
        var truth = try groundTruth.map { try fit.loadTruth($0, shape: loaded.tensor.shape) }
        if truth == nil && keep != nil { truth = loaded.tensor }
        let task = try fit.build(spec, TaskInputs(image: loaded.tensor, mask: m))
        try fit.runMasked(task, command: "restore", input: input, image: loaded.tensor, mask: m, truth: truth,
                          alpha: loaded.alpha, settings: ["mask": mask ?? "bernoulli keep \(keep!)"])
    }
}
