/// Restoration from a random subset of pixels (the reference's restoration
/// notebook): the same masked loss as inpainting, with the holes scattered
/// over the whole image. The result is the last output (no output average);
/// backtracking checks only every 50th iteration, on PSNR over the known pixels.
public struct RestorationTask: FittingTask {
    /// The image, CHW in [0, 1]; missing pixels may hold anything.
    public var image: Tensor
    /// 1×H×W, 1 = known pixel (the same mask for every channel).
    public var mask: Tensor
    public var network: SkipConfiguration
    /// Reference settings only: no narrower network has been measured for this task yet.
    public static var takesPresets: Bool { false }
    public var settings: FitSettings

    /// The reference's settings, chosen by the image's channels:
    /// - gray (barbara, 50 % kept): get_net 128/128/4 with one output channel, 32 noise
    ///   inputs, bilinear upsampling, lr 0.001, 11000 steps, input jitter 0.03;
    /// - colour (kate, 2 % kept): channels 16…128, no skips, average-pool downsampling,
    ///   32 noise inputs, bilinear upsampling, lr 0.01, 1000 steps, no jitter.
    /// Both: reflection padding, backtracking every 50 iterations (−5 dB rule).
    /// (The notebook reflect-pads barbara from 512 to 514 before fitting; here the
    /// image is fitted at its own size, padded only when the network needs it.)
    public static func reference(image: Tensor, mask: Tensor) throws -> RestorationTask {
        try Mask.validate(mask, for: image)
        var s = FitSettings()
        s.expWeight = nil
        s.backtracking = FitSettings.Backtracking(period: 50, onlyAtPeriod: true, dropDB: 5)
        let network: SkipConfiguration
        if image.channels == 1 {
            s.learningRate = 0.001; s.iterations = 11000; s.regNoiseStd = 0.03
            network = .getNet(inputDepth: 32, padding: .reflection, upsample: .bilinear, outputChannels: 1)
        } else {
            s.learningRate = 0.01; s.iterations = 1000; s.regNoiseStd = 0
            network = .restorationSparse(outputChannels: image.channels)
        }
        return RestorationTask(image: image, mask: mask, network: network, settings: s)
    }

    /// A mask keeping each pixel with probability `keep` (the reference's
    /// get_bernoulli_mask with zero_fraction = 1 − keep), from a seeded generator.
    public static func bernoulliMask(height: Int, width: Int, keep: Double, seed: UInt64) -> Tensor {
        let m = Tensor(channels: 1, height: height, width: width)
        var rng = RandomSource(seed: seed, stream: 0xB3A5)
        for i in 0..<m.count { m.data[i] = Double(rng.uniform()) < keep ? 1 : 0 }
        return m
    }

    public init(image: Tensor, mask: Tensor, network: SkipConfiguration, settings: FitSettings) {
        self.image = image; self.mask = mask; self.network = network; self.settings = settings
    }

    public var outputShape: Shape { image.shape }

    public func run(cancel: CancellationFlag? = nil, checkpoints: FitCheckpointing? = nil,
                    onProgress: ((FitProgress) -> Void)? = nil,
                    onSnapshot: ((FitProgress) -> Void)? = nil) throws -> FitResult {
        try TaskFit.runMasked(image: image, mask: mask, input: .noise(channels: network.inputChannels),
                              configuration: network, settings: settings,
                              cancel: cancel, checkpoints: checkpoints, onProgress: onProgress, onSnapshot: onSnapshot)
    }
}

extension SkipConfiguration {
    /// Restoration of kate from 2 % of its pixels: channels 16…128, no skip
    /// connections, average-pool downsampling, 32 noise inputs.
    public static func restorationSparse(outputChannels: Int = 3) -> SkipConfiguration {
        SkipConfiguration(inputChannels: 32, outputChannels: outputChannels,
                          channelsDown: [16, 32, 64, 128, 128], channelsUp: [16, 32, 64, 128, 128],
                          channelsSkip: [0, 0, 0, 0, 0], padding: .reflection, upsampleMode: [.bilinear],
                          downsampleMode: [.avg])
    }
}
