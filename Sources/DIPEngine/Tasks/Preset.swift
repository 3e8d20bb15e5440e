/// How much network and how many iterations a fit spends. `reference` is the
/// reference notebook's network and settings, unchanged. `balanced` narrows every level
/// to 32 channels, which makes an iteration 6× cheaper at 256² (the full-resolution
/// layers are memory-bound, so the saving is less than the multiply-adds'), and it fits
/// sooner: nearest-neighbour upsampling and 16 skip channels where the reference has 4
/// reach the fit's best in about half the iterations on the development images
/// (bilinear upsampling and thin skips hold the fine detail back). `fast` is the same
/// network with 40 % of the iterations as its cap. Measured and rejected (README,
/// "Presets"): 16 channels or a larger step save no time to a given PSNR; removing the
/// input jitter sped detailed images up but cost smooth ones 2 dB; fewer levels did
/// not add to the wider skips. `Benchmarks/presets` regenerates the figures.
public enum Preset: String, CaseIterable, Sendable, Codable {
    case fast, balanced, reference

    /// The preset a fit uses when none is named.
    public static let standard = Preset.balanced

    /// What a preset changes in a task's reference network and settings.
    public struct Scaling: Sendable, Equatable {
        /// Every level's channel count (down, up and skip) is capped at this (nil: unchanged).
        public var maxChannels: Int?
        /// Every skip connection the reference has gets at least this many channels (nil: unchanged).
        public var minSkipChannels: Int?
        /// The upsampling of every level (nil: the reference's).
        public var upsampleMode: UpsampleMode?
        /// The learning rate is multiplied by this.
        public var learningRateFactor: Float
        /// The iteration cap is the reference's times this (auto stop usually ends sooner).
        public var iterationsFactor: Double
        /// The automatic stopping rule the preset's fits use where it applies.
        public var autoStop: AutoStop
    }

    public var scaling: Scaling {
        switch self {
        case .reference:
            return Scaling(maxChannels: nil, minSkipChannels: nil, upsampleMode: nil,
                           learningRateFactor: 1, iterationsFactor: 1, autoStop: AutoStop())
        case .balanced:
            return Scaling(maxChannels: 32, minSkipChannels: 16, upsampleMode: .nearest,
                           learningRateFactor: 2, iterationsFactor: 1, autoStop: AutoStop())
        case .fast:
            // balanced's network with a lower cap: a narrower network, or a larger step, saved
            // no time to a given PSNR on the development images.
            return Scaling(maxChannels: 32, minSkipChannels: 16, upsampleMode: .nearest,
                           learningRateFactor: 2, iterationsFactor: 0.4, autoStop: AutoStop())
        }
    }
}

extension FittingTask {
    /// The task with `preset` applied to its reference network and settings (tasks that
    /// do not take presets keep the reference's). Auto stop is switched on with the
    /// preset's rule where the task allows it; callers turn it off.
    public func with(preset: Preset) -> Self {
        var task = self
        let s = (Self.takesPresets ? preset : .reference).scaling
        if let cap = s.maxChannels {
            task.network.channelsDown = task.network.channelsDown.map { min($0, cap) }
            task.network.channelsUp = task.network.channelsUp.map { min($0, cap) }
            task.network.channelsSkip = task.network.channelsSkip.map { min($0, cap) }
        }
        if let least = s.minSkipChannels {
            task.network.channelsSkip = task.network.channelsSkip.map { $0 > 0 ? max($0, least) : 0 }
        }
        if let mode = s.upsampleMode { task.network.upsampleMode = [mode] }
        task.settings.learningRate *= s.learningRateFactor
        task.settings.iterations = max(1, Int((Double(task.settings.iterations) * s.iterationsFactor).rounded()))
        task.settings.autoStop = Self.autoStopApplies ? s.autoStop : nil
        return task
    }
}
