/// Denoising (and blind JPEG artefact removal, which is the same fit with a
/// smaller network): the network fits the degraded image itself and the
/// restored image is the exponential average of its outputs, stopped early.
public struct DenoisingTask: FittingTask {
    /// The degraded image, CHW in [0, 1].
    public var image: Tensor
    public var network: SkipConfiguration
    public var settings: FitSettings
    /// True for additive white noise, false for JPEG artefacts, which are not white. With it,
    /// auto stop's variance rule waits for the loss to come down to the noise variance
    /// estimated from the image (`AutoStop.lossFloor`, `NoiseLevel`), and the fit can hold
    /// pixels out for the held-out rule (without it, the variance rule runs instead).
    public var additiveWhiteNoise = false

    /// The reference notebook's settings (σ = 25): get_net 128/128/4, 32 noise
    /// channels, reflection padding, bilinear upsampling, lr 0.01, 3000 steps,
    /// input jitter 1/30, average weight 0.99, backtracking.
    public static func reference(image: Tensor) -> DenoisingTask {
        var task = DenoisingTask(image: image, network: .denoising(outputChannels: image.channels), settings: FitSettings())
        task.additiveWhiteNoise = true
        return task
    }

    /// The blind JPEG notebook's settings: the small network, 3 input channels of noise, 2400 steps.
    public static func jpegReference(image: Tensor) -> DenoisingTask {
        var s = FitSettings(); s.iterations = 2400
        return DenoisingTask(image: image, network: .jpeg(outputChannels: image.channels), settings: s)
    }

    public init(image: Tensor, network: SkipConfiguration, settings: FitSettings) {
        self.image = image; self.network = network; self.settings = settings
    }

    public var outputShape: Shape { image.shape }
    public var holdsOutPixels: Bool { additiveWhiteNoise }
    /// Additive noise: `balanced` fits the input at 0.01, a third of the preset's rate (0.05–0.25 dB
    /// better on each development image; `fast`, without input jitter, lost 0.7 dB with it), and
    /// averages an ensemble of two (docs/presets.md). JPEG artefacts take denoising's network
    /// too: the JPEG notebook's small one (8 channels, no skip at full resolution) reaches a
    /// detailed image's fine structure only after thousands of steps, when a fitted-input fit has
    /// long passed its best. They run a fixed count: 175 (`balanced`) and 160 (`fast`), where the
    /// 512² fits of the development images peaked (docs/presets.md).
    public var fittedInput: FittedInputTuning? {
        FittedInputTuning(network: additiveWhiteNoise ? nil : .denoising(outputChannels: image.channels),
                          totalVariationWeight: 0.2,
                          length: additiveWhiteNoise ? .heldOut : .fixed(balanced: 175, fast: 160),
                          balancedInputLearningRate: additiveWhiteNoise ? 0.01 : nil, averagesMembers: additiveWhiteNoise)
    }

    /// The settings the fit runs with: `settings`, with auto stop's loss floor set from the
    /// image's estimated noise level when the task waits for it and none is given.
    public var fitSettings: FitSettings {
        var s = settings
        if additiveWhiteNoise, autoStopRule == .outputVariance, s.autoStop?.lossFloor == nil {
            let sigma = NoiseLevel.estimate(image)
            s.autoStop?.lossFloor = sigma * sigma
        }
        return s
    }

    /// The pixels the held-out rule leaves out of the loss (nil: another rule, or none). Additive
    /// noise is independent from pixel to pixel; where a colour upload's chroma noise is not
    /// (a JPEG's), the rule compares luma.
    func heldOutPixels(region: PaddedRegion, settings: FitSettings) -> HeldOutPixels? {
        guard autoStopRule == .heldOutPixels, let rule = settings.autoStop else { return nil }
        return rule.heldOutPixels(region: region, luma: ChromaNoise.isShared(image), seed: settings.seed)
    }

    /// Runs the fit (of each member, with its own network and held-out pixels, when the settings
    /// ask for an ensemble). Progress and snapshot tensors are cropped to the image's own size.
    public func run(cancel: CancellationFlag? = nil, checkpoints: FitCheckpointing? = nil,
                    onProgress: ((FitProgress) -> Void)? = nil,
                    onSnapshot: ((FitProgress) -> Void)? = nil) throws -> FitResult {
        try TaskFit.checkChannels(image, network)
        return try FitEnsemble.run(settings: fitSettings, checkpoints: checkpoints, onProgress: onProgress,
                                   onSnapshot: onSnapshot) { settings, checkpoints, onProgress, onSnapshot in
            let net = try TaskFit.network(network, settings)
            let region = try TaskFit.region(height: image.height, width: image.width, network: net)
            let heldOut = heldOutPixels(region: region, settings: settings)
            return try TaskFit.run(network: net, input: .noise(channels: network.inputChannels),
                                   objective: FitImage(target: SizePolicy.pad(image, region), heldOut: heldOut), settings: settings,
                                   region: region, cancel: cancel, checkpoints: checkpoints, onProgress: onProgress, onSnapshot: onSnapshot)
        }
    }
}

extension FitProgress {
    func cropped(_ r: PaddedRegion) -> FitProgress {
        if r.isIdentity { return self }
        return FitProgress(iteration: iteration, iterations: iterations, loss: loss, psnrInput: psnrInput,
                           iterationsPerSecond: iterationsPerSecond, seconds: seconds, restoredParameters: restoredParameters,
                           output: SizePolicy.crop(output, r), average: SizePolicy.crop(average, r),
                           stopSignal: stopSignal, bestIteration: bestIteration)
    }
}

extension FitResult {
    func cropped(_ r: PaddedRegion) -> FitResult {
        FitResult(image: SizePolicy.crop(image, r), lastOutput: SizePolicy.crop(lastOutput, r),
                  iterations: iterations, stopReason: stopReason, seconds: seconds, bestIteration: bestIteration)
    }
}
