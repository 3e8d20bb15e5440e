/// How much network and how many iterations a fit spends. `reference` is the
/// reference notebook's network and settings, unchanged. `balanced` and `fast` keep
/// the task's loss, input and depth but narrow every level, which makes an iteration
/// 7× and 12× cheaper at 256² (the full-resolution layers are memory-bound, so the
/// saving is less than the multiply-adds'). A learning rate raised past these values
/// fitted no faster on the development images: the fit's pace is set by the network,
/// not the step (README, "Presets"; `Benchmarks/presets` regenerates the figures).
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
    }

    public var scaling: Scaling {
        switch self {
        case .reference:
            return Scaling(maxChannels: nil, learningRateFactor: 1, iterationsFactor: 1, autoStop: AutoStop())
        case .balanced:
            return Scaling(maxChannels: 32, learningRateFactor: 2, iterationsFactor: 1, autoStop: AutoStop())
        case .fast:
            return Scaling(maxChannels: 16, learningRateFactor: 4, iterationsFactor: 0.5, autoStop: AutoStop())
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
        if let cap = s.maxChannels { task.network.capChannels(at: cap) }
        task.settings.learningRate *= s.learningRateFactor
        task.settings.iterations = max(1, Int((Double(task.settings.iterations) * s.iterationsFactor).rounded()))
        task.settings.autoStop = Self.autoStopApplies ? s.autoStop : nil
        return task
    }
}
