import DIPEngine
import Foundation

/// Runs one task for a subcommand: live progress, snapshots, the JSON report,
/// the output file and the closing line. Subcommands only build the task and
/// say what to compare against.
struct FitRun {
    var command: String
    var input: String
    var options: FitOptions
    /// Task-specific entries for the report's settings.
    var settings: [String: String] = [:]
    /// Compared with the output every iteration (PSNR), if given.
    var truth: Tensor?
    /// The degraded input against the truth, for the summary (nil where not comparable).
    var degradedPSNR: Double?
    /// PSNR of an output against what the fit sees (the report's psnr_input_average).
    var inputPSNR: ((Tensor) -> Double)?
    /// Alpha to put back on written images.
    var alpha: [Float]?
    /// Extra figures on the final image for the summary and the closing line.
    var evaluate: ((Tensor) -> [Figure])?

    struct Figure {
        var key: String          // in the report's summary.evaluation
        var label: String        // in the closing line
        var value: Double
        var unit = " dB"
    }

    func run<T: FittingTask>(_ given: T) throws {
        // The settings the fit runs with, derived once (denoising estimates its noise here).
        var task = given
        task.settings = given.fitSettings
        try options.kernels.select()
        let shape = task.outputShape
        try options.checkSize(width: shape.width, height: shape.height)
        if let dir = options.snapshots {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        let s = task.settings
        var rep = FitReport(command: command, input: input, width: shape.width, height: shape.height,
                            channels: shape.channels,
                            settings: s.reportEntries(autoStopRule: task.autoStopRule).merging(task.network.reportEntries) { $1 }
                                .merging(["preset": (T.takesPresets ? options.preset : .reference).rawValue]) { $1 }
                                .merging(settings) { $1 },
                            network_parameters: try SkipNetwork(task.network).parameterCount)
        let progressLine = ProgressLine(quiet: options.quiet, every: max(1, min(100, s.iterations / 30)))
        if !options.quiet {
            Terminal.errorLine("dip \(command): \(shape.width)x\(shape.height)x\(shape.channels), \((T.takesPresets ? options.preset : .reference).rawValue) preset, \(s.iterations) iterations at most, \(s.threads) threads, \(InstructionSet.selected) kernels, \(rep.network_parameters) parameters")
            if let floor = s.autoStop?.lossFloor {
                Terminal.errorLine(String(format: "noise σ estimated at %.1f/255: auto stop looks for the best iteration once the loss is down to %.5f", floor.squareRoot() * 255, floor))
            }
        }
        var snapshotError: Error?
        let truth = self.truth, inputPSNR = self.inputPSNR, snapshots = options.snapshots, alpha = self.alpha
        let result = try task.run(cancel: nil, onProgress: { p in
            let gtAvg = truth.map { PSNR.compute($0, p.average) }
            rep.points.append(.init(iteration: p.iteration, seconds: p.seconds, loss: p.loss, psnr_input: p.psnrInput,
                                    psnr_input_average: inputPSNR?(p.average),
                                    psnr_ground_truth: truth.map { PSNR.compute($0, p.output) },
                                    psnr_ground_truth_average: gtAvg, restored_parameters: p.restoredParameters,
                                    stop_signal: p.stopSignal))
            progressLine.show(iteration: p.iteration, of: p.iterations, loss: p.loss, psnrInput: p.psnrInput,
                              psnrTruth: gtAvg, itPerSecond: p.iterationsPerSecond)
        }, onSnapshot: { p in
            guard let dir = snapshots, snapshotError == nil else { return }
            do {
                try ImageFiles.savePNG(p.average, alpha: alpha, to: dir + "/" + String(format: "snapshot_%05d.png", p.iteration))
            } catch { snapshotError = error }
        })
        if let snapshotError { throw snapshotError }
        try ImageFiles.savePNG(result.image, alpha: alpha, to: options.output)

        let extra = evaluate?(result.image) ?? []
        let best = rep.points.compactMap { p in p.psnr_ground_truth_average.map { (p.iteration, $0) } }.max { $0.1 < $1.1 }
        rep.summary = .init(iterations: result.iterations, seconds: result.seconds,
                            iterations_per_second: Double(result.iterations) / max(result.seconds, 1e-9),
                            stop_reason: result.stopReason.rawValue,
                            psnr_degraded_vs_ground_truth: degradedPSNR,
                            final_psnr_ground_truth_average: truth.map { PSNR.compute($0, result.image) },
                            best_psnr_ground_truth_average: best?.1, best_psnr_iteration: best?.0,
                            best_iteration: result.bestIteration,
                            evaluation: extra.isEmpty ? nil : Dictionary(extra.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 }))
        if let path = options.report { try rep.write(to: path) }
        if !options.quiet {
            var line = String(format: "done: %d iterations in %@ (%.2f it/s, %@) → %@", result.iterations,
                              ProgressLine.duration(result.seconds), rep.summary!.iterations_per_second,
                              Self.describe(result), options.output)
            if let t = truth {
                line += "; PSNR vs truth: "
                if let d = degradedPSNR { line += String(format: "degraded %.2f dB, ", d) }
                line += String(format: "result %.2f dB", PSNR.compute(t, result.image))
            }
            for f in extra { line += String(format: "; %@ %.2f%@", f.label, f.value, f.unit) }
            if let first = rep.points.first, let last = rep.points.last, last.loss > 0 {
                line += String(format: "; loss %.4g → %.4g (×%.1f lower)", first.loss, last.loss, first.loss / last.loss)
            }
            Terminal.errorLine(line)
        }
    }

    /// Why the fit ended, for the closing line.
    static func describe(_ r: FitResult) -> String {
        let pick = r.bestIteration.map { ", result from iteration \($0)" } ?? ""
        switch r.stopReason {
        case .iterations: return "all iterations" + pick
        case .autoStop: return "stopped automatically" + pick
        case .timeLimit: return "time limit" + pick
        case .canceled: return "canceled" + pick
        }
    }
}
