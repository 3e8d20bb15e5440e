/// Inpainting: the network fits the known pixels of the image (mask 1) and
/// fills the holes (mask 0) from its own structure. The result is the last
/// output, as in the reference notebook (no output average, no backtracking).
public struct InpaintingTask: FittingTask {
    /// The reference notebook's three setups.
    public enum Setup: String, CaseIterable, Sendable, Codable {
        /// Text overlay (kate, paper Fig. 7 top): 32 noise channels, 128 skip channels per level, 6001 steps.
        case text
        /// One large hole (vase, Fig. 6): a 2-channel meshgrid input, no skip connections, 5001 steps.
        case largeHole = "large-hole"
        /// Region removal (library, Fig. 8): 1 noise channel, a 6-level network with 5×5 encoder filters, 3001 steps.
        case region
    }

    /// The image, CHW in [0, 1]; its holes may hold anything.
    public var image: Tensor
    /// 1×H×W, 1 = known pixel, 0 = hole.
    public var mask: Tensor
    public var input: NetworkInput
    public var network: SkipConfiguration
    public var settings: FitSettings

    /// The reference's settings for `setup` (inpainting.ipynb): reflection padding,
    /// nearest upsampling, lr 0.01; input jitter 0.03 (text, large hole) or none (region).
    public static func reference(image: Tensor, mask: Tensor, setup: Setup) throws -> InpaintingTask {
        try Mask.validate(mask, for: image)
        var s = FitSettings()
        s.learningRate = 0.01
        s.expWeight = nil
        s.backtracking = nil
        let c = image.channels
        let task: InpaintingTask
        switch setup {
        case .text:
            s.iterations = 6001; s.regNoiseStd = 0.03
            task = InpaintingTask(image: image, mask: mask, input: .noise(channels: 32),
                                  network: .inpaintingText(outputChannels: c), settings: s)
        case .largeHole:
            s.iterations = 5001; s.regNoiseStd = 0.03
            task = InpaintingTask(image: image, mask: mask, input: .meshgrid,
                                  network: .inpaintingLargeHole(outputChannels: c), settings: s)
        case .region:
            s.iterations = 3001; s.regNoiseStd = 0
            task = InpaintingTask(image: image, mask: mask, input: .noise(channels: 1),
                                  network: .inpaintingRegion(outputChannels: c), settings: s)
        }
        return task
    }

    public init(image: Tensor, mask: Tensor, input: NetworkInput, network: SkipConfiguration, settings: FitSettings) {
        self.image = image; self.mask = mask; self.input = input; self.network = network; self.settings = settings
    }

    public var outputShape: Shape { image.shape }
    /// The known pixels are exact, so a known pixel left out of the loss is a hole whose true
    /// value is known: its error is the fill's, and it rises when the fit turns.
    public var holdsOutPixels: Bool { true }

    /// The presets fit the input too, with the setup's own network, and stop on the error at
    /// held-out known pixels: text's fixed-input fit was still climbing after 1500 steps at 256²,
    /// where this one peaks within a few hundred (docs/presets.md).
    public var fittedInput: FittedInputTuning? {
        FittedInputTuning(totalVariationWeight: 0.2, length: .heldOut)
    }

    public func run(cancel: CancellationFlag? = nil, checkpoints: FitCheckpointing? = nil,
                    onProgress: ((FitProgress) -> Void)? = nil,
                    onSnapshot: ((FitProgress) -> Void)? = nil) throws -> FitResult {
        try TaskFit.runMasked(image: image, mask: mask, input: input, configuration: network, settings: settings,
                              holdOut: autoStopRule == .heldOutPixels, cancel: cancel, checkpoints: checkpoints, onProgress: onProgress, onSnapshot: onSnapshot)
    }
}

extension SkipConfiguration {
    /// Inpainting kate: 128 channels down, up and skip on all five levels, 32 inputs.
    public static func inpaintingText(outputChannels: Int = 3) -> SkipConfiguration {
        SkipConfiguration(inputChannels: 32, outputChannels: outputChannels,
                          channelsDown: [128, 128, 128, 128, 128], channelsUp: [128, 128, 128, 128, 128],
                          channelsSkip: [128, 128, 128, 128, 128], padding: .reflection, upsampleMode: [.nearest])
    }

    /// Inpainting vase: the meshgrid input, 128 channels, no skip connections.
    public static func inpaintingLargeHole(outputChannels: Int = 3) -> SkipConfiguration {
        SkipConfiguration(inputChannels: 2, outputChannels: outputChannels,
                          channelsDown: [128, 128, 128, 128, 128], channelsUp: [128, 128, 128, 128, 128],
                          channelsSkip: [0, 0, 0, 0, 0], padding: .reflection, upsampleMode: [.nearest])
    }

    /// Inpainting library ('skip_depth6'): six levels of 16…128 channels, no skips,
    /// 5×5 encoder filters, 3×3 decoder filters and no 1×1 decoder convolutions.
    public static func inpaintingRegion(outputChannels: Int = 3) -> SkipConfiguration {
        SkipConfiguration(inputChannels: 1, outputChannels: outputChannels,
                          channelsDown: [16, 32, 64, 128, 128, 128], channelsUp: [16, 32, 64, 128, 128, 128],
                          channelsSkip: [0, 0, 0, 0, 0, 0], filterSizeDown: [5], filterSizeUp: [3],
                          padding: .reflection, upsampleMode: [.nearest], need1x1Up: false)
    }
}
