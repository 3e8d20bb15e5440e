/// Super-resolution: the network output is `factor` times larger than the
/// low-resolution image, and the loss compares its Lanczos-2 downsampled
/// version with that image (the reference's super-resolution notebook). The
/// result is the last output (the notebook keeps no output average and does
/// not backtrack).
///
/// Sizes: the high-resolution canvas must be a size the network maps to
/// itself. When factor × the input size is not, the low-resolution image is
/// reflect-padded (by whole pixels, centred) until factor × its size is, the
/// canvas is fitted at that size and cropped back, so the output is always
/// exactly factor × the input and no part of the input is dropped.
public struct SuperResolutionTask: FittingTask {
    public static let factors = [2, 4, 8]

    /// The low-resolution image, CHW in [0, 1].
    public var lowResolution: Tensor
    public var factor: Int
    public var network: SkipConfiguration
    public var settings: FitSettings

    /// The reference's settings: get_net 128/128/4, 32 noise inputs, reflection padding,
    /// bilinear upsampling, lr 0.01; ×4: 2000 steps, input jitter 0.03; ×8: 4000 steps,
    /// jitter 0.05. The notebook has no ×2 branch; ×2 uses the ×4 settings.
    public static func reference(lowResolution: Tensor, factor: Int) throws -> SuperResolutionTask {
        try checkFactor(factor)
        var s = FitSettings()
        s.learningRate = 0.01
        s.iterations = factor == 8 ? 4000 : 2000
        s.regNoiseStd = factor == 8 ? 0.05 : 0.03
        s.expWeight = nil
        s.backtracking = nil
        return SuperResolutionTask(lowResolution: lowResolution, factor: factor,
                                   network: .getNet(inputDepth: 32, padding: .reflection, upsample: .bilinear,
                                                    outputChannels: lowResolution.channels),
                                   settings: s)
    }

    public init(lowResolution: Tensor, factor: Int, network: SkipConfiguration, settings: FitSettings) {
        self.lowResolution = lowResolution; self.factor = factor; self.network = network; self.settings = settings
    }

    /// The presets fit the input too, with the task's own network: the fixed-input fit of the
    /// narrowed network was still climbing after 2000 steps, where this one is within 0.2 dB of its
    /// best after 300 (docs/presets.md). Nothing can be held out (each low-resolution pixel sees a
    /// whole patch of the output), so the fit runs that fixed count. ×2 has the most detail to
    /// keep and takes half the TV weight.
    public var fittedInput: FittedInputTuning? {
        FittedInputTuning(totalVariationWeight: factor == 2 ? 0.2 : 0.4, length: .fixed(balanced: 300, fast: 300))
    }

    static func checkFactor(_ factor: Int) throws {
        guard factors.contains(factor) else {
            throw TaskInputError.invalid("the super-resolution factor must be 2, 4 or 8, not \(factor)")
        }
    }

    public var outputShape: Shape {
        Shape(lowResolution.channels, lowResolution.height * factor, lowResolution.width * factor)
    }

    /// The padded low-resolution region and the matching high-resolution one.
    static func regions(height: Int, width: Int, factor: Int, network: SkipNetwork) throws -> (low: PaddedRegion, high: PaddedRegion) {
        let hr = try TaskFit.region(height: height * factor, width: width * factor, network: network)
        guard hr.paddedHeight % factor == 0, hr.paddedWidth % factor == 0 else {
            throw TaskInputError.imageTooSmall(height: height, width: width)
        }
        let ph = hr.paddedHeight / factor, pw = hr.paddedWidth / factor
        let low = PaddedRegion(top: (ph - height) / 2, left: (pw - width) / 2, height: height, width: width,
                               paddedHeight: ph, paddedWidth: pw)
        let high = PaddedRegion(top: low.top * factor, left: low.left * factor, height: height * factor,
                                width: width * factor, paddedHeight: hr.paddedHeight, paddedWidth: hr.paddedWidth)
        return (low, high)
    }

    public func run(cancel: CancellationFlag? = nil, checkpoints: FitCheckpointing? = nil,
                    onProgress: ((FitProgress) -> Void)? = nil,
                    onSnapshot: ((FitProgress) -> Void)? = nil) throws -> FitResult {
        try Self.checkFactor(factor)
        try TaskFit.checkChannels(lowResolution, network)
        let net = try TaskFit.network(network, settings)
        let (low, high) = try Self.regions(height: lowResolution.height, width: lowResolution.width,
                                           factor: factor, network: net)
        let objective = FitDownsampled(lowResolution: SizePolicy.pad(lowResolution, low), factor: factor)
        return try TaskFit.run(network: net, input: .noise(channels: network.inputChannels), objective: objective,
                               settings: settings, region: high, cancel: cancel, checkpoints: checkpoints,
                               onProgress: onProgress, onSnapshot: onSnapshot)
    }
}

extension SuperResolutionTask {
    /// A low-resolution image made as the reference makes it from a ground truth:
    /// an antialiased Lanczos-3 reduction (PIL's ANTIALIAS, up to edge handling:
    /// edges replicated here) quantised to 8 bits. Height and width must be
    /// multiples of `factor` (the reference first centre-crops to multiples of 32).
    public static func downscale(_ highResolution: Tensor, factor: Int) throws -> Tensor {
        try checkFactor(factor)
        guard highResolution.height % factor == 0, highResolution.width % factor == 0,
              highResolution.height >= factor, highResolution.width >= factor else {
            throw TaskInputError.invalid("a \(highResolution.width)×\(highResolution.height) image cannot be reduced by \(factor): the sides must be multiples of it")
        }
        let down = LanczosDownsampler(factor: factor, support: 3)
        down.needsInputGradient = false
        let low = down.forward(highResolution, Compute(threads: 1)).clone()
        for i in 0..<low.count { low.data[i] = (min(max(low.data[i], 0), 1) * 255).rounded() / 255 }
        return low
    }
}
