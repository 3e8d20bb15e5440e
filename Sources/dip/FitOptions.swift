import ArgumentParser
import DIPEngine
import DIPTasks
import Foundation

/// The options every fitting subcommand shares. Fit settings left unset keep the
/// preset's value for the task (see each subcommand's help for the reference's).
struct FitOptions: ParsableArguments {
    @Option(name: [.short, .customLong("output")], help: "Where to write the restored PNG.")
    var output: String

    @Option(help: ArgumentHelp("fast, balanced or reference: how much network and how many iterations the fit spends (denoise, jpeg, super-resolution, inpaint; the others always use the reference's). reference is the reference notebook's network and settings.",
                               valueName: "preset"))
    var preset: Preset = .standard
    @Option(help: "Iteration cap (default: the preset's for this task).") var iterations: Int?
    @Option(name: .customLong("lr"), help: "Adam learning rate (default: the preset's for this task).") var learningRate: Float?
    @Option(help: "Std of the Gaussian jitter added to the network input each step (default: the reference's).")
    var regNoise: Float?
    @Option(help: "Weight of the exponential output average, 0 disables it (default: the reference's; 0.99 where it averages).")
    var expWeight: Float?
    @Option(help: "Networks fitted at once from their own seeds, their results averaged, the threads shared among them (denoise and jpeg; default: the preset's: 2 for denoise with balanced on 2 threads or more, else 1).")
    var members: Int?
    @Option(name: .customLong("input-lr"), help: "Fit the network's input too, at this Adam learning rate; 0 keeps it fixed (default: the preset's for this task).")
    var inputLearningRate: Float?
    @Option(help: "Weight of the total-variation term; above 0 the loss is √(task loss) + weight·TV(output) (default: the preset's for this task).")
    var tvWeight: Float?
    @Flag(help: "Disable the reference's backtracking on PSNR drops (where the task has it).") var noBacktracking = false
    @Flag(help: "Run every iteration and return the last result, instead of stopping where the outputs' moving variance has passed its minimum and returning the result from there.")
    var noAutoStop = false
    @Option(help: "Auto stop: iterations without a new minimum of its signal before stopping.") var patience: Int?
    @Option(help: "Auto stop's signal: variance (the outputs' moving variance) or held-out (the error on pixels left out of the loss; denoise and inpaint only, elsewhere variance) (default: the preset's).")
    var stopRule: AutoStop.Criterion?
    @Option(help: "Stop after this many seconds of fitting, with the best result so far.") var timeLimit: Double?
    @Option(help: ArgumentHelp("Changes to the network, as JSON with any of channels_down, channels_up, channels_skip (one entry per level), input_channels, upsample_mode (nearest, bilinear) and padding (zero, reflection).",
                               valueName: "json"))
    var network: String?
    @Option(help: "Random seed: the same seed repeats a run.") var seed: UInt64 = 0
    @Option(help: "Threads for the engine (default: all cores).") var threads: Int?
    @Option(help: "Write a snapshot every N iterations (needs --snapshots).") var snapshotEvery = 0
    @Option(help: "Folder for snapshots.") var snapshots: String?
    @Option(help: "Write the PSNR/loss curve as JSON to this file.") var report: String?
    @Option(help: "Work on a window of the input(s): WxH (centred) or WxH+X+Y.") var crop: CropWindow?
    @Option(help: "Also save the degraded input as PNG here.") var saveDegraded: String?
    @Option(help: "Refuse results with more pixels than this (the network needs about 9 KB per pixel).")
    var maxPixels = 4_194_304
    @Flag(name: .shortAndLong, help: "No progress output.") var quiet = false
    @OptionGroup var kernels: KernelOptions

    func validate() throws {
        if let n = iterations, !(1...1_000_000).contains(n) { throw ValidationError("--iterations must be 1...1000000") }
        if let lr = learningRate, !(lr > 0 && lr < 10) { throw ValidationError("--lr must be in (0, 10)") }
        if let r = regNoise, !(r >= 0 && r <= 10) { throw ValidationError("--reg-noise must be 0...10") }
        if let w = expWeight, !(w >= 0 && w < 1) { throw ValidationError("--exp-weight must be in [0, 1)") }
        if let r = inputLearningRate, !(r >= 0 && r < 10) { throw ValidationError("--input-lr must be in [0, 10)") }
        if let m = members, !(1...FitEnsemble.maxMembers).contains(m) { throw ValidationError("--members must be 1...\(FitEnsemble.maxMembers)") }
        if let w = tvWeight, !(w >= 0 && w <= 100) { throw ValidationError("--tv-weight must be 0...100") }
        guard snapshotEvery >= 0 else { throw ValidationError("--snapshot-every must be ≥ 0") }
        if snapshotEvery > 0 && snapshots == nil { throw ValidationError("--snapshot-every needs --snapshots DIR") }
        if let t = threads, !(1...256).contains(t) { throw ValidationError("--threads must be 1...256") }
        guard maxPixels >= 1 else { throw ValidationError("--max-pixels must be ≥ 1") }
        if let p = patience, !(1...1_000_000).contains(p) { throw ValidationError("--patience must be 1...1000000") }
        if let t = timeLimit, !(t > 0 && t.isFinite) { throw ValidationError("--time-limit must be a positive number of seconds") }
        if noAutoStop && patience != nil { throw ValidationError("--patience has no effect with --no-auto-stop") }
        if noAutoStop && stopRule != nil { throw ValidationError("--stop-rule has no effect with --no-auto-stop") }
    }

    /// The options as a task spec, the service's form of the same settings: the task catalogue
    /// builds the engine task from it for the CLI and the service alike. Options left unset
    /// keep the preset's value; --seed and --snapshot-every always apply.
    func spec(_ kind: TaskKind) throws -> TaskSpec {
        var spec = TaskSpec(task: kind)
        // --preset has a default, which tasks without presets ignore.
        if TaskCatalog.takesPresets(kind) { spec.preset = preset }
        spec.iterations = iterations
        spec.snapshotEvery = snapshotEvery
        spec.seed = seed
        spec.learningRate = learningRate.map(Double.init)
        spec.regNoise = regNoise.map(Double.init)
        spec.expWeight = expWeight.map(Double.init)
        spec.backtracking = noBacktracking ? false : nil
        spec.inputLearningRate = inputLearningRate.map(Double.init)
        spec.members = members
        spec.tvWeight = tvWeight.map(Double.init)
        spec.autoStop = noAutoStop ? false : nil
        spec.autoStopRule = stopRule
        spec.autoStopPatience = patience
        spec.maxSeconds = timeLimit
        spec.network = try networkOverrides()
        return spec
    }

    /// The engine task for `spec` on `inputs`, through the task catalogue, on --threads threads.
    func build(_ spec: TaskSpec, _ inputs: TaskInputs, classifier: SqueezeNet? = nil) throws -> any FittingTask {
        do {
            return try TaskCatalog.build(spec, inputs: inputs, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount,
                                         classifier: { classifier })
        } catch let e as SpecError where e.field == "network" {
            throw CLIError("--network: \(e.problem)")
        }
    }

    /// --network, decoded (nil when not given).
    func networkOverrides() throws -> NetworkOverrides? {
        guard let network else { return nil }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            let keys = (try JSONSerialization.jsonObject(with: Data(network.utf8)) as? [String: Any])?.keys.sorted() ?? []
            if let unknown = keys.first(where: { !NetworkOverrides.fieldNames.contains($0) }) {
                throw CLIError("--network: unknown field \(unknown) (known: \(NetworkOverrides.fieldNames.joined(separator: ", ")))")
            }
            return try decoder.decode(NetworkOverrides.self, from: Data(network.utf8))
        } catch let e as CLIError { throw e } catch {
            throw CLIError("--network: not a JSON object of network options (\(error.localizedDescription))")
        }
    }

    /// Loads an image and applies --crop (an alpha channel is dropped when cropping).
    func load(_ path: String) throws -> LoadedImage {
        var loaded = try ImageFiles.load(path)
        if let crop {
            loaded.tensor = try crop.apply(loaded.tensor)
            loaded.alpha = nil
        }
        return loaded
    }

    /// Refuses results larger than --max-pixels.
    func checkSize(width: Int, height: Int) throws {
        let pixels = width * height
        guard pixels <= maxPixels else {
            let gb = Double(pixels) * 9e3 / 1e9
            throw CLIError(String(format: "the image is %dx%d (%d pixels), over the limit of %d pixels (fitting it would need about %.1f GB); use --crop or raise --max-pixels",
                                  width, height, pixels, maxPixels, gb))
        }
    }
}

extension FitSettings {
    /// The settings as the report lists them, with the auto-stop rule the task's fit runs by.
    func reportEntries(autoStopRule: AutoStop.Criterion?) -> [String: String] {
        ["iterations": "\(iterations)", "lr": "\(learningRate)", "reg_noise": "\(regNoiseStd)",
         "exp_weight": expWeight.map { "\($0)" } ?? "none",
         "input_lr": inputLearningRate.map { "\($0)" } ?? "none (fixed input)", "tv_weight": "\(totalVariationWeight)",
         "backtracking": backtracking.map { "every \($0.period)\($0.onlyAtPeriod ? " (at the period)" : ""), \($0.dropDB) dB" } ?? "none",
         "seed": "\(seed)", "threads": "\(threads)", "members": "\(members)", "kernels": "\(InstructionSet.selected)",
         "auto_stop": autoStop.map { rule in
             (autoStopRule == .heldOutPixels ? "held-out error on \(rule.heldOutFraction * 100)% of the pixels\(rule.heldOutMinimumCount > 0 ? " (at least \(rule.heldOutMinimumCount), up to 10%)" : ""), tolerance \(rule.heldOutTolerance)" : "output variance, alpha \(rule.alpha)")
                 + ", patience \(rule.patience), from iteration \(rule.minIterations)"
                 + (rule.lossFloor.map { String(format: ", once the loss is down to %.5f (noise σ %.1f/255)", $0, $0.squareRoot() * 255) } ?? "")
         } ?? "off",
         "time_limit": timeLimit.map { "\($0) s" } ?? "none"]
    }
}

extension SkipConfiguration {
    /// The network as the report lists it.
    var reportEntries: [String: String] {
        func list(_ l: [Int]) -> String { l.map(String.init).joined(separator: ",") }
        return ["channels_down": list(channelsDown), "channels_up": list(channelsUp), "channels_skip": list(channelsSkip),
                "input_channels": "\(inputChannels)", "upsample_mode": upsampleMode.map(\.rawValue).joined(separator: ",")]
    }
}

extension Preset: ExpressibleByArgument {}
extension AutoStop.Criterion: ExpressibleByArgument {}

extension FitOptions {
    /// A ground-truth image (cropped like the input) that must have `shape`.
    func loadTruth(_ path: String, shape: Shape, what: String = "input") throws -> Tensor {
        let t = try load(path).tensor
        guard t.shape == shape else {
            throw CLIError("\(path): ground truth is \(t.width)x\(t.height)x\(t.channels), the \(what) is \(shape.width)x\(shape.height)x\(shape.channels)")
        }
        return t
    }
}
