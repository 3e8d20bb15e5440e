import ArgumentParser
import DIPEngine
import Foundation

struct DenoiseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "denoise",
        abstract: "Remove noise by fitting the network to the noisy image (reference settings by default).",
        discussion: """
        The result is the exponential average of the network's outputs. For evaluation, --add-noise \
        adds Gaussian noise to a clean input first (and then compares against it), and --ground-truth \
        names a clean image to compare against. --report writes the whole curve as JSON.
        """)

    @Argument(help: "The noisy image (PNG or JPEG), or a clean one with --add-noise.")
    var input: String

    @Option(name: [.short, .customLong("output")], help: "Where to write the restored PNG.")
    var output: String

    @Option(help: "Number of iterations.") var iterations = 3000
    @Option(name: .customLong("lr"), help: "Adam learning rate.") var learningRate: Float = 0.01
    @Option(help: "Std of the Gaussian jitter added to the network input each step.") var regNoise: Float = 1.0 / 30
    @Option(help: "Weight of the exponential output average (0 disables averaging).") var expWeight: Float = 0.99
    @Flag(help: "Disable the reference's backtracking on PSNR drops.") var noBacktracking = false
    @Option(help: "Random seed: the same seed repeats a run.") var seed: UInt64 = 0
    @Option(help: "Threads for the engine (default: all cores).") var threads: Int?
    @Option(help: "Write a snapshot every N iterations (needs --snapshots).") var snapshotEvery = 0
    @Option(help: "Folder for snapshots.") var snapshots: String?
    @Option(help: "Add Gaussian noise of this σ (0–255 scale) to the input first.") var addNoise: Float?
    @Option(help: "Clean image to compare against.") var groundTruth: String?
    @Option(help: "Write the PSNR/loss curve as JSON to this file.") var report: String?
    @Option(help: "Work on a window: WxH (centred) or WxH+X+Y.") var crop: CropWindow?
    @Option(help: "Also save the degraded input as PNG here.") var saveDegraded: String?
    @Option(help: "Network preset: denoise (reference) or jpeg (the small blind-JPEG network).") var preset: String = "denoise"
    @Option(help: "Refuse images with more pixels than this (the network needs about 9 KB per pixel).")
    var maxPixels = 4_194_304
    @Flag(name: .shortAndLong, help: "No progress output.") var quiet = false

    func validate() throws {
        guard (1...1_000_000).contains(iterations) else { throw ValidationError("--iterations must be 1...1000000") }
        guard learningRate > 0 && learningRate < 10 else { throw ValidationError("--lr must be in (0, 10)") }
        guard regNoise >= 0 && regNoise <= 10 else { throw ValidationError("--reg-noise must be 0...10") }
        guard expWeight >= 0 && expWeight < 1 else { throw ValidationError("--exp-weight must be in [0, 1)") }
        guard snapshotEvery >= 0 else { throw ValidationError("--snapshot-every must be ≥ 0") }
        if snapshotEvery > 0 && snapshots == nil { throw ValidationError("--snapshot-every needs --snapshots DIR") }
        if let t = threads, !(1...256).contains(t) { throw ValidationError("--threads must be 1...256") }
        if let s = addNoise, !(s > 0 && s <= 255) { throw ValidationError("--add-noise must be in (0, 255]") }
        guard maxPixels >= 1 else { throw ValidationError("--max-pixels must be ≥ 1") }
        guard ["denoise", "jpeg"].contains(preset) else { throw ValidationError("--preset must be denoise or jpeg") }
    }

    func run() throws {
        var loaded = try ImageFiles.load(input)
        if let crop {
            loaded.tensor = try crop.apply(loaded.tensor)
            loaded.alpha = nil
        }
        let clean = loaded.tensor
        if clean.plane > maxPixels {
            let gb = Double(clean.plane) * 9e3 / 1e9
            throw CLIError(String(format: "the image is %dx%d (%d pixels), over the limit of %d pixels (fitting it would need about %.1f GB); use --crop or raise --max-pixels",
                                  clean.width, clean.height, clean.plane, maxPixels, gb))
        }
        var truth: Tensor? = nil
        if let groundTruth {
            var t = try ImageFiles.load(groundTruth).tensor
            if let crop { t = try crop.apply(t) }
            guard t.shape == clean.shape else {
                throw CLIError("\(groundTruth): ground truth is \(t.width)x\(t.height)x\(t.channels), input is \(clean.width)x\(clean.height)x\(clean.channels)")
            }
            truth = t
        }
        var degraded = clean
        if let sigma = addNoise {
            degraded = Degradation.addGaussianNoise(clean, sigma: sigma / 255, seed: seed)
            if truth == nil { truth = clean }
        }
        if let saveDegraded { try ImageFiles.savePNG(degraded, to: saveDegraded) }
        if let snapshots { try FileManager.default.createDirectory(atPath: snapshots, withIntermediateDirectories: true) }

        var task = preset == "jpeg" ? DenoisingTask.jpegReference(image: degraded)
                                    : DenoisingTask.reference(image: degraded)
        task.settings.iterations = iterations
        task.settings.learningRate = learningRate
        task.settings.regNoiseStd = regNoise
        task.settings.expWeight = expWeight > 0 ? expWeight : nil
        task.settings.backtracking = noBacktracking ? nil : FitSettings.Backtracking()
        task.settings.seed = seed
        task.settings.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        task.settings.snapshotEvery = snapshotEvery

        var rep = FitReport(command: "denoise", input: input, width: degraded.width, height: degraded.height,
                            channels: degraded.channels,
                            settings: ["iterations": "\(iterations)", "lr": "\(learningRate)", "reg_noise": "\(regNoise)",
                                       "exp_weight": "\(expWeight)", "backtracking": "\(!noBacktracking)", "seed": "\(seed)",
                                       "add_noise": addNoise.map { "\($0)" } ?? "none", "preset": preset,
                                       "threads": "\(task.settings.threads)"],
                            network_parameters: try SkipNetwork(task.network).parameterCount)
        let progressLine = ProgressLine(quiet: quiet, every: max(1, min(100, iterations / 30)))
        var snapshotError: Error?
        if !quiet {
            Terminal.errorLine("dip denoise: \(degraded.width)x\(degraded.height)x\(degraded.channels), \(iterations) iterations, \(task.settings.threads) threads, \(rep.network_parameters) parameters")
        }
        let result = try task.run(onProgress: { p in
            let gt = truth.map { PSNR.compute($0, p.output) }
            let gtAvg = truth.map { PSNR.compute($0, p.average) }
            rep.points.append(.init(iteration: p.iteration, seconds: p.seconds, loss: p.loss, psnr_input: p.psnrInput,
                                    psnr_input_average: PSNR.compute(degraded, p.average),
                                    psnr_ground_truth: gt, psnr_ground_truth_average: gtAvg,
                                    restored_parameters: p.restoredParameters))
            progressLine.show(iteration: p.iteration, of: p.iterations, loss: p.loss, psnrInput: p.psnrInput,
                              psnrTruth: gtAvg, itPerSecond: p.iterationsPerSecond)
        }, onSnapshot: { p in
            guard let dir = snapshots, snapshotError == nil else { return }
            do {
                try ImageFiles.savePNG(p.average, alpha: loaded.alpha, to: dir + "/" + String(format: "snapshot_%05d.png", p.iteration))
            } catch { snapshotError = error }
        })
        if let snapshotError { throw snapshotError }
        try ImageFiles.savePNG(result.image, alpha: loaded.alpha, to: output)

        let best = rep.points.compactMap { p in p.psnr_ground_truth_average.map { (p.iteration, $0) } }.max { $0.1 < $1.1 }
        rep.summary = .init(iterations: result.iterations, seconds: result.seconds,
                            iterations_per_second: Double(result.iterations) / max(result.seconds, 1e-9),
                            stop_reason: result.stopReason.rawValue,
                            psnr_degraded_vs_ground_truth: truth.map { PSNR.compute($0, degraded) },
                            final_psnr_ground_truth_average: truth.map { PSNR.compute($0, result.image) },
                            best_psnr_ground_truth_average: best?.1, best_iteration: best?.0)
        if let report { try rep.write(to: report) }
        if !quiet {
            var s = String(format: "done: %d iterations in %@ (%.2f it/s) → %@", result.iterations,
                           ProgressLine.duration(result.seconds), rep.summary!.iterations_per_second, output)
            if let t = truth {
                s += String(format: "; PSNR vs truth: degraded %.2f dB, result %.2f dB", PSNR.compute(t, degraded), PSNR.compute(t, result.image))
            }
            Terminal.errorLine(s)
        }
    }
}
