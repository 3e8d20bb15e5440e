/// Flash/no-flash: the flash photograph is the network's input and the
/// no-flash photograph its target; fitted briefly with a large learning rate,
/// the network keeps the flash image's detail and takes the no-flash image's
/// light. The result is the last output (no output average, no backtracking).
public struct FlashTask: FittingTask {
    /// The target, CHW in [0, 1].
    public var noFlash: Tensor
    /// The network input, CHW in [0, 1], the same height and width.
    public var flash: Tensor
    public var network: SkipConfiguration
    public var settings: FitSettings

    /// The reference's settings (flash-no-flash.ipynb): 128 channels down and up,
    /// 4 skip channels, reflection padding, upsampling nearest on the two finest levels
    /// and bilinear below, lr 0.1, 601 steps, no input jitter.
    public static func reference(noFlash: Tensor, flash: Tensor) throws -> FlashTask {
        try TaskFit.checkSameSize("flash image", flash, as: noFlash)
        var s = FitSettings()
        s.learningRate = 0.1
        s.iterations = 601
        s.regNoiseStd = 0
        s.expWeight = nil
        s.backtracking = nil
        return FlashTask(noFlash: noFlash, flash: flash,
                         network: .flash(inputChannels: flash.channels, outputChannels: noFlash.channels), settings: s)
    }

    public init(noFlash: Tensor, flash: Tensor, network: SkipConfiguration, settings: FitSettings) {
        self.noFlash = noFlash; self.flash = flash; self.network = network; self.settings = settings
    }

    public var outputShape: Shape { noFlash.shape }

    /// No: the fit's target is the no-flash photograph itself, with no degradation to
    /// turn back toward; the reference runs a short fixed schedule at a large learning rate.
    public static var autoStopApplies: Bool { false }
    /// Reference settings only: the network and run are the method itself here.
    public static var takesPresets: Bool { false }

    public func run(cancel: CancellationFlag? = nil, checkpoints: FitCheckpointing? = nil,
                    onProgress: ((FitProgress) -> Void)? = nil,
                    onSnapshot: ((FitProgress) -> Void)? = nil) throws -> FitResult {
        try TaskFit.checkChannels(noFlash, network)
        try TaskFit.checkSameSize("flash image", flash, as: noFlash)
        guard flash.channels == network.inputChannels else {
            throw TaskInputError.invalid("the flash image has \(flash.channels) channels but the network takes \(network.inputChannels)")
        }
        let net = try TaskFit.network(network, settings)
        let region = try TaskFit.region(height: noFlash.height, width: noFlash.width, network: net)
        let input = SizePolicy.pad(flash, region)
        return try TaskFit.run(network: net, input: .image(channels: input.channels, values: input.values),
                               objective: FitImage(target: SizePolicy.pad(noFlash, region)), settings: settings,
                               region: region, cancel: cancel, checkpoints: checkpoints, onProgress: onProgress, onSnapshot: onSnapshot)
    }
}

extension SkipConfiguration {
    /// Flash/no-flash: the flash image in, 128 channels, 4 skip channels, upsampling
    /// nearest, nearest, bilinear, bilinear, bilinear (finest level first).
    public static func flash(inputChannels: Int = 3, outputChannels: Int = 3) -> SkipConfiguration {
        SkipConfiguration(inputChannels: inputChannels, outputChannels: outputChannels,
                          channelsDown: [128, 128, 128, 128, 128], channelsUp: [128, 128, 128, 128, 128],
                          channelsSkip: [4, 4, 4, 4, 4], padding: .reflection,
                          upsampleMode: [.nearest, .nearest, .bilinear, .bilinear, .bilinear])
    }
}
