/// What every task does around `DeepImagePrior.fit`: build and initialise the
/// network, pad the task's tensors to a size the network maps to itself, run
/// the loop, and crop progress, snapshots and the result back to the image.
enum TaskFit {
    /// The network of `configuration`, initialised from the settings' seed.
    static func network(_ configuration: SkipConfiguration, _ settings: FitSettings) throws -> SkipNetwork {
        let net = try SkipNetwork(configuration)
        net.initialize(seed: settings.seed, batchNorm: settings.batchNormInit)
        return net
    }

    /// The padded region for an output of this size, or `imageTooSmall`.
    static func region(height: Int, width: Int, network: SkipNetwork) throws -> PaddedRegion {
        guard let r = SizePolicy.region(height: height, width: width, network: network) else {
            throw TaskInputError.imageTooSmall(height: height, width: width)
        }
        return r
    }

    static func checkChannels(_ image: Tensor, _ configuration: SkipConfiguration) throws {
        guard image.channels == configuration.outputChannels else {
            throw TaskInputError.channelMismatch(image: image.channels, network: configuration.outputChannels)
        }
    }

    static func checkSameSize(_ what: String, _ t: Tensor, as image: Tensor) throws {
        guard t.height == image.height, t.width == image.width else {
            throw TaskInputError.sizeMismatch(what: what, expected: "\(image.width)×\(image.height)",
                                              got: "\(t.width)×\(t.height)")
        }
    }

    /// Runs the loop on the padded problem; everything handed out is cropped to `region`.
    static func run(network: SkipNetwork, input: NetworkInput, objective: FitObjective, settings: FitSettings,
                    region: PaddedRegion, cancel: CancellationFlag?, checkpoints: FitCheckpointing? = nil,
                    onProgress: ((FitProgress) -> Void)?, onSnapshot: ((FitProgress) -> Void)?) throws -> FitResult {
        let result = try DeepImagePrior.fit(network: network, input: input, objective: objective, settings: settings,
                                            cancel: cancel, checkpoints: checkpoints,
                                            onProgress: onProgress.map { f in { f($0.cropped(region)) } },
                                            onSnapshot: onSnapshot.map { f in { f($0.cropped(region)) } })
        return result.cropped(region)
    }
}

extension TaskFit {
    /// Inpainting and restoration: fit the known pixels only. Image and mask are
    /// reflect-padded together, so mirrored known pixels stay known and mirrored holes stay holes.
    /// With `holdOut`, the held-out rule's share of the known pixels is left out of the loss too.
    static func runMasked(image: Tensor, mask: Tensor, input: NetworkInput, configuration: SkipConfiguration,
                          settings: FitSettings, holdOut: Bool = false, cancel: CancellationFlag?,
                          checkpoints: FitCheckpointing? = nil,
                          onProgress: ((FitProgress) -> Void)?, onSnapshot: ((FitProgress) -> Void)?) throws -> FitResult {
        try checkChannels(image, configuration)
        try Mask.validate(mask, for: image)
        let net = try network(configuration, settings)
        let region = try region(height: image.height, width: image.width, network: net)
        let paddedMask = SizePolicy.pad(mask, region)
        let heldOut = holdOut ? settings.autoStop?.heldOutPixels(region: region, known: paddedMask, seed: settings.seed) : nil
        let objective = FitMaskedImage(target: SizePolicy.pad(image, region), mask: paddedMask, heldOut: heldOut)
        return try run(network: net, input: input, objective: objective, settings: settings, region: region,
                       cancel: cancel, checkpoints: checkpoints, onProgress: onProgress, onSnapshot: onSnapshot)
    }
}
