import DIPEngine

/// Per task: which uploads it needs, which presets it knows, and how a spec with its
/// decoded inputs becomes an engine task with every setting filled in. The service's jobs
/// and the CLI's commands take this one path from their settings to the engine.
public enum TaskCatalog {
    public enum Need: Sendable { case required, optional, forbidden }

    /// Every task restores an uploaded image but activation, which makes one from a class alone.
    public static func image(_ task: TaskKind) -> Need { task == .activation ? .forbidden : .required }

    /// The tasks that run a pretrained classifier (the service's `preimage_weights`).
    public static func needsClassifier(_ task: TaskKind) -> Bool { task == .preimage || task == .activation }

    public static func mask(_ task: TaskKind) -> Need {
        switch task {
        case .inpaint: .required
        case .restore: .optional
        default: .forbidden
        }
    }

    public static func guide(_ task: TaskKind) -> Need { task == .flash ? .required : .forbidden }

    /// The engine's task type behind a task kind.
    public static func engineType(_ task: TaskKind) -> any FittingTask.Type {
        switch task {
        case .denoise, .jpeg: DenoisingTask.self
        case .superResolution: SuperResolutionTask.self
        case .inpaint: InpaintingTask.self
        case .restore: RestorationTask.self
        case .flash: FlashTask.self
        case .preimage: PreimageTask.self
        case .activation: ActivationMaximizationTask.self
        }
    }

    /// Whether a task takes presets (otherwise it always runs the reference's settings): the
    /// engine's task type says.
    public static func takesPresets(_ task: TaskKind) -> Bool { engineType(task).takesPresets }

    /// Checks what can be checked from the spec alone (before images are decoded).
    public static func check(_ spec: TaskSpec, hasImage: Bool = true, hasMask: Bool, hasGuide: Bool) throws(SpecError) {
        switch image(spec.task) {
        case .required where !hasImage: throw SpecError("image", "is required: the image to restore, as a file part named image")
        case .forbidden where hasImage: throw SpecError("image", "task \(spec.task.rawValue) takes no image (it makes one from the class alone)")
        default: break
        }
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
        if spec.task != .preimage, spec.task != .activation, spec.layer != nil { throw SpecError("layer", "only preimage and activation take a layer") }
        if spec.task == .activation, spec.class == nil {
            throw SpecError("class", "activation needs a class: an ImageNet class index 0 to 999 or a class name, e.g. goldfish")
        }
        if spec.task != .activation, spec.class != nil { throw SpecError("class", "only activation takes a class") }
        if spec.task != .activation, spec.size != nil { throw SpecError("size", "only activation takes a size (the other tasks' is their image's)") }
        // jpeg fits the same task, but its artefacts are not white noise of one level.
        if spec.task != .denoise, spec.noiseLevel != nil { throw SpecError("noise_level", "only denoise takes a noise level") }
        if ![.denoise, .jpeg].contains(spec.task), let m = spec.members, m > 1 {
            throw SpecError("members", "only denoise and jpeg fit an ensemble")
        }
    }

    public static let preimageLayers = SqueezeNetLayer.allCases.filter { $0 != .logits }

    /// The engine task for `spec` on `inputs`, with the spec's settings over the reference's.
    /// `classifier` is the pretrained network of preimage and activation (nil: none is available).
    public static func build(_ spec: TaskSpec, inputs: TaskInputs, threads: Int,
                             classifier: () -> SqueezeNet?) throws -> any FittingTask {
        func image() throws(SpecError) -> Tensor {
            guard let image = inputs.image else { throw SpecError("image", "task \(spec.task.rawValue) needs an image") }
            return image
        }
        func pretrained() throws(SpecError) -> SqueezeNet {
            guard let net = classifier() else {
                throw SpecError("task", "\(spec.task.rawValue) needs a pretrained classifier, and this service has none configured (preimage_weights)")
            }
            return net
        }
        var task: any FittingTask
        switch spec.task {
        case .denoise:
            task = DenoisingTask.reference(image: try image())
        case .jpeg:
            task = DenoisingTask.jpegReference(image: try image())
        case .superResolution:
            task = try SuperResolutionTask.reference(lowResolution: image(), factor: spec.factor ?? 4)
        case .inpaint:
            guard let mask = inputs.mask else { throw SpecError("mask", "inpaint needs a mask image") }
            task = try InpaintingTask.reference(image: image(), mask: mask, setup: spec.setup ?? .text)
        case .restore:
            let image = try image()
            let mask = inputs.mask ?? restorationMask(spec, height: image.height, width: image.width)
            task = try RestorationTask.reference(image: image, mask: mask)
        case .flash:
            guard let guide = inputs.guide else { throw SpecError("guide", "flash needs the flash image as guide") }
            task = try FlashTask.reference(noFlash: image(), flash: guide)
        case .preimage:
            task = PreimageTask.reference(image: SqueezeNet.rgb(try image()), classifier: try pretrained(), layer: spec.layer ?? .fire9)
        case .activation:
            guard let channel = spec.class else { throw SpecError("class", "activation needs a class") }
            let activation = ActivationMaximizationTask.reference(classifier: try pretrained(), layer: spec.layer ?? .conv10,
                                                                  channel: channel, size: spec.size ?? 224)
            let channels = activation.channelCount()
            guard channel < channels else {
                throw SpecError("class", "layer \(activation.layer.rawValue) has channels 0 to \(channels - 1) (class names the classes of conv10 only), got \(channel)")
            }
            task = activation
        }
        task = task.with(preset: preset(spec))
        try apply(spec, to: &task)
        task.settings.threads = threads
        // The preset's ensemble shares the threads out; with fewer threads than members it would run
        // its members one after the other, for twice the time: it takes one member a thread instead.
        if spec.members == nil { task.settings.members = min(task.settings.members, max(1, threads)) }
        return task
    }

    /// Restoration without a mask image: each pixel kept with probability `keep`, drawn from the spec's seed.
    public static func restorationMask(_ spec: TaskSpec, height: Int, width: Int) -> Tensor {
        RestorationTask.bernoulliMask(height: height, width: width, keep: spec.keep ?? 0.5, seed: spec.seed ?? 0)
    }

    /// The effective parameters of `spec` on inputs of these channel counts, without their
    /// pixels. The reference's settings and networks depend on the task, its options and the
    /// channels, never on the pixels or the size, so the task is built on 1×1 stand-ins.
    /// `imageChannels` is nil for a task that takes no image.
    public static func parameters(_ spec: TaskSpec, imageChannels: Int?, guideChannels: Int?, threads: Int,
                                  classifier: () -> SqueezeNet?) throws -> EffectiveParameters {
        let standIns = TaskInputs(image: imageChannels.map { Tensor(channels: $0, height: 1, width: 1) },
                                  mask: mask(spec.task) == .forbidden || spec.keep != nil ? nil : Tensor(channels: 1, height: 1, width: 1),
                                  guide: guideChannels.map { Tensor(channels: $0, height: 1, width: 1) })
        return parameters(spec, try build(spec, inputs: standIns, threads: threads, classifier: classifier))
    }

    /// The spec's preset (checked by `check`), or the standard one.
    public static func preset(_ spec: TaskSpec) -> Preset { spec.preset ?? .standard }

    /// The spec's settings over the preset's.
    static func apply(_ spec: TaskSpec, to task: inout any FittingTask) throws(SpecError) {
        if let v = spec.iterations { task.settings.iterations = v }
        if let v = spec.snapshotEvery { task.settings.snapshotEvery = v } else { task.settings.snapshotEvery = defaultSnapshotEvery(task.settings.iterations) }
        if let v = spec.seed { task.settings.seed = v }
        if let v = spec.learningRate { task.settings.learningRate = Float(v) }
        if let v = spec.regNoise { task.settings.regNoiseStd = Float(v) }
        if let v = spec.expWeight { task.settings.expWeight = v > 0 ? Float(v) : nil }
        if let v = spec.backtracking { task.settings.backtracking = v ? (task.settings.backtracking ?? .init()) : nil }
        if let v = spec.inputLearningRate { task.settings.inputLearningRate = v > 0 ? Float(v) : nil }
        if let v = spec.tvWeight { task.settings.totalVariationWeight = Float(v) }
        if let v = spec.optimizer { task.settings.optimizer = v }
        switch spec.autoStop {
        case false?: task.settings.autoStop = nil
        case true?: task.settings.autoStop = task.settings.autoStop ?? AutoStop()
        case nil: break     // the preset's: on where the task allows it
        }
        // Rule and patience change auto stop where it is on; they do not turn it on.
        if let v = spec.autoStopRule { task.settings.autoStop?.criterion = v }
        if let v = spec.autoStopPatience { task.settings.autoStop?.patience = v }
        // The floor the task would otherwise set from the image's estimated noise (`DenoisingTask.fitSettings`).
        if let v = spec.noiseLevel, spec.task == .denoise { task.settings.autoStop?.lossFloor = v * v }
        task.settings.timeLimit = spec.maxSeconds
        if let v = spec.members { task.settings.members = v }
        if let n = spec.network { task.network = try apply(n, to: task.network) }
    }

    /// About 30 snapshots over the run, at round iteration counts.
    public static func defaultSnapshotEvery(_ iterations: Int) -> Int {
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

    /// What a job shows as its effective parameters: the built task's settings and network.
    public static func parameters(_ spec: TaskSpec, _ task: any FittingTask) -> EffectiveParameters {
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
            autoStopPatience: s.autoStop?.patience, maxSeconds: s.timeLimit, members: s.members > 1 ? s.members : nil,
            factor: spec.task == .superResolution ? spec.factor : nil,
            keep: spec.task == .restore ? spec.keep : nil,
            layer: (task as? PreimageTask)?.layer.rawValue ?? (task as? ActivationMaximizationTask)?.layer.rawValue,
            class: (task as? ActivationMaximizationTask)?.channel, size: (task as? ActivationMaximizationTask)?.size,
            optimizer: s.optimizer.rawValue,
            threads: s.threads,
            network: .init(inputChannels: n.inputChannels, outputChannels: n.outputChannels,
                           channelsDown: n.channelsDown, channelsUp: n.channelsUp, channelsSkip: n.channelsSkip,
                           upsampleMode: n.upsampleMode.map(\.rawValue), downsampleMode: n.downsampleMode.map(\.rawValue),
                           padding: n.padding.rawValue))
    }
}
