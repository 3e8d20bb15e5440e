/// Denoising (and blind JPEG artefact removal, which is the same fit with a
/// smaller network): the network fits the degraded image itself and the
/// restored image is the exponential average of its outputs, stopped early.
public struct DenoisingTask: FittingTask {
    /// The degraded image, CHW in [0, 1].
    public var image: Tensor
    public var network: SkipConfiguration
    public var settings: FitSettings

    /// The reference notebook's settings (σ = 25): get_net 128/128/4, 32 noise
    /// channels, reflection padding, bilinear upsampling, lr 0.01, 3000 steps,
    /// input jitter 1/30, average weight 0.99, backtracking.
    public static func reference(image: Tensor) -> DenoisingTask {
        DenoisingTask(image: image, network: .denoising(outputChannels: image.channels), settings: FitSettings())
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

    /// Runs the fit. Progress and snapshot tensors are cropped to the image's own size.
    public func run(cancel: CancellationFlag? = nil,
                    onProgress: ((FitProgress) -> Void)? = nil,
                    onSnapshot: ((FitProgress) -> Void)? = nil) throws -> FitResult {
        let degraded = image
        guard degraded.channels == network.outputChannels else {
            throw TaskInputError.channelMismatch(image: degraded.channels, network: network.outputChannels)
        }
        let net = try SkipNetwork(network)
        net.initialize(seed: settings.seed, batchNorm: settings.batchNormInit)
        guard let region = SizePolicy.region(height: degraded.height, width: degraded.width, network: net) else {
            throw TaskInputError.imageTooSmall(height: degraded.height, width: degraded.width)
        }
        let target = SizePolicy.pad(degraded, region)
        let objective = FitImage(target: target)
        let input = NetworkInput.noise(channels: network.inputChannels)
        let result = try DeepImagePrior.fit(network: net, input: input, objective: objective, settings: settings,
                                            cancel: cancel,
                                            onProgress: onProgress.map { f in { f($0.cropped(region)) } },
                                            onSnapshot: onSnapshot.map { f in { f($0.cropped(region)) } })
        return result.cropped(region)
    }
}

extension FitProgress {
    func cropped(_ r: PaddedRegion) -> FitProgress {
        if r.isIdentity { return self }
        return FitProgress(iteration: iteration, iterations: iterations, loss: loss, psnrInput: psnrInput,
                           iterationsPerSecond: iterationsPerSecond, seconds: seconds, restoredParameters: restoredParameters,
                           output: SizePolicy.crop(output, r), average: SizePolicy.crop(average, r))
    }
}

extension FitResult {
    func cropped(_ r: PaddedRegion) -> FitResult {
        FitResult(image: SizePolicy.crop(image, r), lastOutput: SizePolicy.crop(lastOutput, r),
                  iterations: iterations, stopReason: stopReason, seconds: seconds)
    }
}
