/// How much network and how many iterations a fit spends. `reference` is the
/// reference notebook's network and settings, unchanged. `balanced` and `fast` keep
/// the task's loss, input and depth but narrow every level to 32 channels, which makes an
/// iteration 6× cheaper at 256² (the full-resolution layers are memory-bound, so the
/// saving is less than the multiply-adds').
///
/// Where the fit can hold pixels out of its loss (denoising additive noise), both stop on
/// the held-out error. `fast` also takes the network that reaches its best in about half
/// the iterations (nearest upsampling, 16 channels in every skip connection), with a lower
/// cap and patience; the variance rule cannot stop that network (its outputs settle ever
/// further after the best), and its best lies 0.2–0.4 dB below the reference's bilinear
/// upsampling with thin skips, which `balanced` keeps. The other tasks keep the reference's
/// upsampling and skips with the variance rule. 16 channels or a larger step saved no time
/// to a given PSNR on the development images (README, "Presets"; `Benchmarks/presets`
/// regenerates the figures).
public enum Preset: String, CaseIterable, Sendable, Codable {
    case fast, balanced, reference

    /// The preset a fit uses when none is named.
    public static let standard = Preset.balanced

    /// What a preset changes in a task's reference network and settings.
    public struct Scaling: Sendable, Equatable {
        /// Every level's channel count (down, up and skip) is capped at this (nil: unchanged).
        public var maxChannels: Int?
        /// The learning rate is multiplied by this.
        public var learningRateFactor: Float
        /// The iteration cap is the reference's times this (auto stop usually ends sooner).
        public var iterationsFactor: Double
        /// The automatic stopping rule the preset's fits use where it applies.
        public var autoStop: AutoStop
        /// Where the fit can hold pixels out: the rule and network it takes instead (nil: as elsewhere).
        public var heldOut: HeldOutFit?
    }

    /// The held-out rule, and the network changes that rule makes possible (a network that
    /// reaches its best sooner, whose outputs the variance rule cannot stop).
    public struct HeldOutFit: Sendable, Equatable {
        public var autoStop: AutoStop
        /// Every skip connection the reference has gets at least this many channels (nil: unchanged).
        public var minSkipChannels: Int?
        /// The upsampling of every level (nil: the reference's).
        public var upsampleMode: UpsampleMode?
    }

    public var scaling: Scaling {
        func heldOut(patience: Int) -> AutoStop {
            AutoStop(criterion: .heldOutPixels, heldOutFraction: 0.02, heldOutTolerance: 0.002, patience: patience, minIterations: 200)
        }
        switch self {
        case .reference:
            return Scaling(maxChannels: nil, learningRateFactor: 1, iterationsFactor: 1, autoStop: AutoStop(), heldOut: nil)
        case .balanced:
            return Scaling(maxChannels: 32, learningRateFactor: 2, iterationsFactor: 1, autoStop: AutoStop(),
                           heldOut: HeldOutFit(autoStop: heldOut(patience: 100), minSkipChannels: nil, upsampleMode: nil))
        case .fast:
            return Scaling(maxChannels: 32, learningRateFactor: 2, iterationsFactor: 0.4, autoStop: AutoStop(patience: 150),
                           heldOut: HeldOutFit(autoStop: heldOut(patience: 50), minSkipChannels: 16, upsampleMode: .nearest))
        }
    }
}

extension FittingTask {
    /// The task with `preset` applied to its reference network and settings (tasks that
    /// do not take presets keep the reference's). Auto stop is switched on with the
    /// preset's rule where the task allows it (the held-out rule, with its network, where the
    /// task holds pixels out); callers turn it off.
    public func with(preset: Preset) -> Self {
        var task = self
        let s = (Self.takesPresets ? preset : .reference).scaling
        if let cap = s.maxChannels { task.network.capChannels(at: cap) }
        task.settings.learningRate *= s.learningRateFactor
        task.settings.iterations = max(1, Int((Double(task.settings.iterations) * s.iterationsFactor).rounded()))
        task.settings.autoStop = Self.autoStopApplies ? s.autoStop : nil
        if Self.autoStopApplies, task.holdsOutPixels, let h = s.heldOut {
            task.settings.autoStop = h.autoStop
            if let least = h.minSkipChannels {
                task.network.channelsSkip = task.network.channelsSkip.map { $0 > 0 ? max($0, least) : 0 }
            }
            if let mode = h.upsampleMode { task.network.upsampleMode = [mode] }
        }
        return task
    }
}
