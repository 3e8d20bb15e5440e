import ArgumentParser
import DIPEngine
import Foundation

struct PreimageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preimage",
        abstract: "Invert a classifier's features: find the image the network produces whose SqueezeNet features match the input's.",
        discussion: """
        The natural pre-image of the reference (feature inversion), with SqueezeNet 1.1 in place of AlexNet: \
        the image is resized to --size², its features at --layer are computed once, and the network is \
        fitted so that the features of its output match them (MSE). The loss shown is that feature MSE; \
        the PSNR shown compares the output with the resized input, which the fit does not aim for.
        """)

    @Argument(help: "The image whose features are inverted (PNG or JPEG).") var input: String
    @Option(name: [.short, .customLong("output")], help: "Where to write the pre-image PNG.") var output: String
    @Option(help: "SqueezeNet 1.1 weights: .safetensors, or an ncnn .param/.bin pair (either file).") var weights: String
    @Option(help: "The layer whose features are matched: fire9 (512×13×13 at 224²), conv10 (pre-ReLU class maps), or an earlier fireN / conv1.")
    var layer = "fire9"
    @Option(help: "The image is resized to this size squared (the reference: 224).") var size = 224
    @Option(help: "Number of iterations (with lbfgs: the Adam warm-up included).") var iterations = 3100
    @Option(name: .customLong("lr"), help: "Learning rate (Adam; with lbfgs, the L-BFGS step).") var learningRate: Float = 0.001
    @Option(help: "adam (the reference's default) or lbfgs (100 Adam steps at lr 0.001, then L-BFGS).") var optimizer = "adam"
    @Option(help: "Random seed: the same seed repeats a run.") var seed: UInt64 = 0
    @Option(help: "Threads for the engine (default: all cores).") var threads: Int?
    @Option(help: "Write a snapshot every N iterations (needs --snapshots).") var snapshotEvery = 0
    @Option(help: "Folder for snapshots.") var snapshots: String?
    @Option(help: "Write the loss curve as JSON to this file.") var report: String?
    @Option(help: "Also save the resized target image as PNG here.") var saveTarget: String?
    @Flag(name: .shortAndLong, help: "No progress output.") var quiet = false

    func validate() throws {
        guard (1...1_000_000).contains(iterations) else { throw ValidationError("--iterations must be 1...1000000") }
        guard learningRate > 0 && learningRate < 10 else { throw ValidationError("--lr must be in (0, 10)") }
        guard (32...1024).contains(size) else { throw ValidationError("--size must be 32...1024") }
        guard snapshotEvery >= 0 else { throw ValidationError("--snapshot-every must be ≥ 0") }
        if snapshotEvery > 0 && snapshots == nil { throw ValidationError("--snapshot-every needs --snapshots DIR") }
        if let t = threads, !(1...256).contains(t) { throw ValidationError("--threads must be 1...256") }
        guard FitSettings.Optimizer(rawValue: optimizer) != nil else { throw ValidationError("--optimizer must be adam or lbfgs") }
    }

    func run() throws {
        let layer = try ClassifierFiles.layer(self.layer)
        let image = try SqueezeNet.rgb(ImageFiles.load(input).tensor)
        let classifier = try ClassifierFiles.squeezeNet(weights)
        let target = ImageResize.resize(image, width: size, height: size, filter: .lanczos3)
        if let saveTarget { try ImageFiles.savePNG(target, to: saveTarget) }
        if let snapshots { try FileManager.default.createDirectory(atPath: snapshots, withIntermediateDirectories: true) }

        var task = PreimageTask.reference(image: target, classifier: classifier, layer: layer)
        task.settings.iterations = iterations
        task.settings.learningRate = learningRate
        task.settings.optimizer = FitSettings.Optimizer(rawValue: optimizer)!
        task.settings.seed = seed
        task.settings.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        task.settings.snapshotEvery = snapshotEvery

        var rep = FitReport(command: "preimage", input: input, width: size, height: size, channels: 3,
                            settings: ["iterations": "\(iterations)", "lr": "\(learningRate)", "layer": layer.rawValue,
                                       "optimizer": optimizer, "seed": "\(seed)", "size": "\(size)",
                                       "threads": "\(task.settings.threads)",
                                       "psnr_input": "PSNR of the output against the resized input (not minimised)"],
                            network_parameters: try SkipNetwork(task.network).parameterCount)
        let progressLine = ProgressLine(quiet: quiet, every: max(1, min(100, iterations / 30)))
        var snapshotError: Error?
        if !quiet {
            Terminal.errorLine("dip preimage: \(size)x\(size), SqueezeNet \(layer.rawValue), \(iterations) iterations (\(optimizer)), \(task.settings.threads) threads, \(rep.network_parameters) parameters")
        }
        let result = try task.run(onProgress: { p in
            rep.points.append(.init(iteration: p.iteration, seconds: p.seconds, loss: p.loss, psnr_input: p.psnrInput,
                                    psnr_input_average: p.psnrInput, psnr_ground_truth: nil, psnr_ground_truth_average: nil,
                                    restored_parameters: false))
            progressLine.show(iteration: p.iteration, of: p.iterations, loss: p.loss, psnrInput: p.psnrInput,
                              psnrTruth: nil, itPerSecond: p.iterationsPerSecond)
        }, onSnapshot: { p in
            guard let dir = snapshots, snapshotError == nil else { return }
            do {
                try ImageFiles.savePNG(p.output, to: dir + "/" + String(format: "snapshot_%05d.png", p.iteration))
            } catch { snapshotError = error }
        })
        if let snapshotError { throw snapshotError }
        try ImageFiles.savePNG(result.image, to: output)
        rep.summary = .init(iterations: result.iterations, seconds: result.seconds,
                            iterations_per_second: Double(result.iterations) / max(result.seconds, 1e-9),
                            stop_reason: result.stopReason.rawValue, psnr_degraded_vs_ground_truth: nil,
                            final_psnr_ground_truth_average: nil, best_psnr_ground_truth_average: nil, best_iteration: nil)
        if let report { try rep.write(to: report) }
        if !quiet, let first = rep.points.first, let last = rep.points.last {
            Terminal.errorLine(String(format: "done: %d iterations in %@ (%.2f it/s); feature loss %.4g → %.4g (×%.1f lower) → %@",
                                      result.iterations, ProgressLine.duration(result.seconds), rep.summary!.iterations_per_second,
                                      first.loss, last.loss, first.loss / max(last.loss, 1e-30), output))
        }
    }
}
