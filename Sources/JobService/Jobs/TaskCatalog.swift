import DIPEngine

/// Per task: which uploads it needs, which presets it knows, and how a spec with its
/// decoded inputs becomes an engine task with every setting filled in.
enum TaskCatalog {
    enum Need { case required, optional, forbidden }

    static func mask(_ task: TaskKind) -> Need {
        switch task {
        case .inpaint: .required
        case .restore: .optional
        default: .forbidden
        }
    }

    static func guide(_ task: TaskKind) -> Need { task == .flash ? .required : .forbidden }

    /// The engine's task type behind a task kind.
    static func engineType(_ task: TaskKind) -> any FittingTask.Type {
        switch task {
        case .denoise, .jpeg: DenoisingTask.self
        case .superResolution: SuperResolutionTask.self
        case .inpaint: InpaintingTask.self
        case .restore: RestorationTask.self
        case .flash: FlashTask.self
        case .preimage: PreimageTask.self
        }
    }

    /// Whether a task takes presets (otherwise it always runs the reference's settings): the
    /// engine's task type says.
    static func takesPresets(_ task: TaskKind) -> Bool { engineType(task).takesPresets }

    /// Checks what can be checked from the spec alone (before images are decoded).
    static func check(_ spec: TaskSpec, hasMask: Bool, hasGuide: Bool) throws(SpecError) {
        if spec.preset != nil, !takesPresets(spec.task) {
            throw SpecError("preset", "task \(spec.task.rawValue) has no presets (it runs the reference's settings)")
        }
        if spec.setup != nil, spec.task != .inpaint { throw SpecError("setup", "only inpaint takes a setup") }
        switch mask(spec.task) {
        case .required where !hasMask: throw SpecError("mask", "task \(spec.task.rawValue) needs a mask image (white = known pixel)")
        case .forbidden where hasMask: throw SpecError("mask", "task \(spec.task.rawValue) takes no mask")
        default: break
        }
        switch guide(spec.task) {
        case .required where !hasGuide: throw SpecError("guide", "task \(spec.task.rawValue) needs a guide image (the flash photo)")
        case .forbidden where hasGuide: throw SpecError("guide", "task \(spec.task.rawValue) takes no guide image")
        default: break
        }
        if spec.task == .superResolution, spec.factor == nil { throw SpecError("factor", "super-resolution needs a factor: 2, 4 or 8") }
        if spec.task != .superResolution, spec.factor != nil { throw SpecError("factor", "only super-resolution takes a factor") }
        if spec.task != .restore, spec.keep != nil { throw SpecError("keep", "only restore takes a keep fraction") }
        if spec.task == .restore, spec.keep != nil, hasMask { throw SpecError("keep", "give either a mask or a keep fraction, not both") }
        if spec.task == .restore, spec.keep == nil, !hasMask { throw SpecError("mask", "restore needs a mask image or a keep fraction") }
        if spec.task != .preimage, spec.layer != nil { throw SpecError("layer", "only preimage takes a layer") }
    }

    static let preimageLayers = SqueezeNetLayer.allCases.filter { $0 != .logits }

    /// The engine task for `spec` on `inputs`, with the spec's settings over the reference's.
    /// `classifier` is the pre-image task's pretrained network (nil: the service has none).
    static func build(_ spec: TaskSpec, inputs: JobInputs, threads: Int, classifier: () -> SqueezeNet?) throws -> any FittingTask {
        let image = inputs.image.tensor
        var task: any FittingTask
        switch spec.task {
        case .denoise:
            task = DenoisingTask.reference(image: image)
        case .jpeg:
            task = DenoisingTask.jpegReference(image: image)
        case .superResolution:
            task = try SuperResolutionTask.reference(lowResolution: image, factor: spec.factor ?? 4)
        case .inpaint:
            guard let mask = inputs.mask else { throw SpecError("mask", "inpaint needs a mask image") }
            task = try InpaintingTask.reference(image: image, mask: mask, setup: spec.setup ?? .text)
        case .restore:
            let mask = inputs.mask ?? RestorationTask.bernoulliMask(height: image.height, width: image.width,
                                                                   keep: spec.keep ?? 0.5, seed: spec.seed ?? 0)
            task = try RestorationTask.reference(image: image, mask: mask)
        case .flash:
            guard let guide = inputs.guide else { throw SpecError("guide", "flash needs the flash image as guide") }
            task = try FlashTask.reference(noFlash: image, flash: guide.tensor)
        case .preimage:
            guard let net = classifier() else {
                throw SpecError("task", "preimage needs a pretrained classifier, and this service has none configured (preimage_weights)")
            }
            task = PreimageTask.reference(image: SqueezeNet.rgb(image), classifier: net, layer: spec.layer ?? .fire9)
        }
        task = task.with(preset: preset(spec))
        try apply(spec, to: &task)
        task.settings.threads = threads
        return task
    }


    /// The spec's preset (checked by `check`), or the standard one.
    static func preset(_ spec: TaskSpec) -> Preset { spec.preset ?? .standard }

    /// The spec's settings over the preset's.
    static func apply(_ spec: TaskSpec, to task: inout any FittingTask) throws(SpecError) {
        if let v = spec.iterations { task.settings.iterations = v }
        if let v = spec.snapshotEvery { task.settings.snapshotEvery = v } else { task.settings.snapshotEvery = defaultSnapshotEvery(task.settings.iterations) }
        if let v = spec.seed { task.settings.seed = v }
        if let v = spec.learningRate { task.settings.learningRate = Float(v) }
        if let v = spec.regNoise { task.settings.regNoiseStd = Float(v) }
        if let v = spec.expWeight { task.settings.expWeight = v > 0 ? Float(v) : nil }
        if let v = spec.backtracking { task.settings.backtracking = v ? (task.settings.backtracking ?? .init()) : nil }
        if let v = spec.optimizer { task.settings.optimizer = v }
        switch spec.autoStop {
        case false?: task.settings.autoStop = nil
        case true?: task.settings.autoStop = task.settings.autoStop ?? AutoStop()
        case nil: break     // the preset's: on where the task allows it
        }
        task.settings.timeLimit = spec.maxSeconds
        if let n = spec.network { task.network = try apply(n, to: task.network) }
    }

    /// About 30 snapshots over the run, at round iteration counts.
    static func defaultSnapshotEvery(_ iterations: Int) -> Int {
        let raw = max(1, iterations / 30)
        for step in [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000] where step >= raw { return step }
        return raw
    }

    static func apply(_ n: NetworkOverrides, to base: SkipConfiguration) throws(SpecError) -> SkipConfiguration {
        do { return try n.applied(to: base) } catch {
            if case let .field(name, why) = error, name == "network" { throw SpecError("network", why) }
            throw SpecError("network", "\(error)")
        }
    }

    /// A Float as the shortest decimal that reads back as it (0.01, not 0.009999999776).
    static func decimal(_ f: Float) -> Double { Double("\(f)") ?? Double(f) }

    /// What the job shows as its effective parameters.
    static func parameters(_ spec: TaskSpec, _ task: any FittingTask) -> EffectiveParameters {
        let s = task.settings, n = task.network
        return EffectiveParameters(
            task: spec.task.rawValue, preset: takesPresets(spec.task) ? preset(spec).rawValue : nil,
            setup: spec.task == .inpaint ? (spec.setup ?? .text).rawValue : nil,
            iterations: s.iterations, snapshotEvery: s.snapshotEvery, seed: s.seed,
            learningRate: decimal(s.learningRate), regNoise: decimal(s.regNoiseStd),
            expWeight: s.expWeight.map(decimal) ?? 0, backtracking: s.backtracking != nil,
            inputLearningRate: s.inputLearningRate.map(decimal),
            tvWeight: s.totalVariationWeight > 0 ? decimal(s.totalVariationWeight) : nil,
            autoStop: s.autoStop != nil,
            autoStopRule: task.autoStopRule?.rawValue,
            autoStopPatience: s.autoStop?.patience, maxSeconds: s.timeLimit,
            factor: spec.task == .superResolution ? spec.factor : nil,
            keep: spec.task == .restore ? spec.keep : nil,
            layer: spec.task == .preimage ? (spec.layer ?? .fire9).rawValue : nil,
            optimizer: s.optimizer.rawValue,
            threads: s.threads,
            network: .init(inputChannels: n.inputChannels, outputChannels: n.outputChannels,
                           channelsDown: n.channelsDown, channelsUp: n.channelsUp, channelsSkip: n.channelsSkip,
                           upsampleMode: n.upsampleMode.map(\.rawValue), downsampleMode: n.downsampleMode.map(\.rawValue),
                           padding: n.padding.rawValue))
    }
}

/// The settings a job runs with: its spec with every default filled in.
public struct EffectiveParameters: Codable, Sendable, Equatable {
    public var task: String
    public var preset: String?
    public var setup: String?
    public var iterations: Int
    public var snapshotEvery: Int
    public var seed: UInt64
    public var learningRate: Double
    public var regNoise: Double
    public var expWeight: Double
    public var backtracking: Bool
    /// When the input is fitted too: its learning rate (nil: the input is fixed).
    public var inputLearningRate: Double?
    /// When the loss has a total-variation term: its weight.
    public var tvWeight: Double?
    /// Optional only so that records written before auto stop existed still load.
    public var autoStop: Bool?
    /// With auto stop: what it watches (`variance` or `held-out`) and its patience.
    public var autoStopRule: String?
    public var autoStopPatience: Int?
    public var maxSeconds: Double?
    public var factor: Int?
    public var keep: Double?
    public var layer: String?
    public var optimizer: String
    public var threads: Int
    public var network: Network

    public struct Network: Codable, Sendable, Equatable {
        public var inputChannels: Int
        public var outputChannels: Int
        public var channelsDown: [Int]
        public var channelsUp: [Int]
        public var channelsSkip: [Int]
        public var upsampleMode: [String]
        public var downsampleMode: [String]
        public var padding: String
    }
}
