/// How much network and how many iterations a fit spends. `reference` is the
/// reference notebook's network and settings, unchanged. `balanced` and `fast` keep
/// the task's loss, input and depth but narrow every level to 32 channels, which makes an
/// iteration 6× cheaper at 256² (the full-resolution layers are memory-bound, so the
/// saving is less than the multiply-adds').
///
/// For the tasks that take it (`FittingTask.fittedInput`: denoising, JPEG artefact removal,
/// super-resolution, inpainting) both also fit the network's input, with a total-variation term in the loss
/// (`FittedInputFit`): the fit peaks within a few hundred iterations instead of thousands, about as
/// high on average on the development images for denoising (higher on texture, up to 1 dB lower on
/// smooth images) and higher for the others, and then turns toward the degradation or stays level.
/// Where the fit can hold pixels out of its loss (additive noise, inpainting's known pixels) it stops on the held-out
/// error, which sees that turn within a few dozen iterations; elsewhere no held-out pixel is
/// independent of the fitted ones, and the fit stops at a fixed count near where it peaked on the
/// development images. `fast` also narrows the full-resolution level, where most of an
/// iteration's time goes. The other tasks keep the reference's fit with the variance rule.
/// Measured on the development images (docs/presets.md; `Benchmarks/presets` and
/// `Benchmarks/tasks` regenerate the figures).
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
        /// For tasks that take it (`FittingTask.fittedInput`): the fit with the input fitted (nil: none).
        public var fittedInput: FittedInputFit?
    }

    /// The fit of the tasks that take it (`FittingTask.fittedInput`, which also gives the network,
    /// the total-variation weight and how the fit stops): the input is fitted along with the
    /// weights and a total-variation term holds the degradation back, so the fit reaches its best
    /// within a few hundred steps; its outputs then turn toward the degradation within a few
    /// dozen, which the held-out error sees at once where pixels can be held out.
    public struct FittedInputFit: Sendable, Equatable {
        /// The rule where the task holds pixels out.
        public var autoStop: AutoStop
        /// The iteration cap there, in place of the reference's scaled one.
        public var iterations: Int
        /// `FitSettings.inputLearningRate`.
        public var inputLearningRate: Float
        /// The output average's weight: short fits average over fewer steps.
        public var expWeight: Float
        /// The input jitter's standard deviation (`FitSettings.regNoiseStd`).
        public var regNoiseStd: Float
        /// The network's full-resolution level has this many channels (nil: as the other levels).
        public var fullResolutionChannels: Int?
        /// `FitSettings.members` where the task takes an ensemble (`FittedInputTuning.averagesMembers`).
        public var members: Int
    }

    public var scaling: Scaling {
        func heldOut(patience: Int) -> AutoStop {
            AutoStop(criterion: .heldOutPixels, heldOutFraction: 0.02, heldOutMinimumCount: 1024, heldOutTolerance: 0,
                     patience: patience, minIterations: 50)
        }
        switch self {
        case .reference:
            return Scaling(maxChannels: nil, learningRateFactor: 1, iterationsFactor: 1, autoStop: AutoStop(), fittedInput: nil)
        case .balanced:
            return Scaling(maxChannels: 32, learningRateFactor: 2, iterationsFactor: 1, autoStop: AutoStop(),
                           fittedInput: FittedInputFit(autoStop: heldOut(patience: 50), iterations: 1000,
                                               inputLearningRate: 0.03, expWeight: 0.9,
                                               regNoiseStd: 1.0 / 30, fullResolutionChannels: nil, members: 2))
        case .fast:
            return Scaling(maxChannels: 32, learningRateFactor: 2, iterationsFactor: 0.4, autoStop: AutoStop(patience: 150),
                           fittedInput: FittedInputFit(autoStop: heldOut(patience: 30), iterations: 600,
                                               inputLearningRate: 0.03, expWeight: 0.9,
                                               regNoiseStd: 0, fullResolutionChannels: 16, members: 1))
        }
    }
}

extension FittingTask {
    /// The task with `preset` applied to its reference network and settings (tasks that
    /// do not take presets keep the reference's). Auto stop is switched on with the
    /// preset's rule where the task allows it (the held-out rule where the task holds pixels
    /// out, the fitted-input fit and its network where the task takes it); callers turn it off.
    public func with(preset: Preset) -> Self {
        var task = self
        let s = (Self.takesPresets ? preset : .reference).scaling
        task.settings.learningRate *= s.learningRateFactor
        guard Self.autoStopApplies, let h = s.fittedInput, let tuning = task.fittedInput else {
            if let cap = s.maxChannels { task.network.capChannels(at: cap) }
            task.settings.iterations = max(1, Int((Double(task.settings.iterations) * s.iterationsFactor).rounded()))
            task.settings.autoStop = Self.autoStopApplies ? s.autoStop : nil
            return task
        }
        if let network = tuning.network { task.network = network }
        if let cap = s.maxChannels { task.network.capChannels(at: cap) }
        if let c = h.fullResolutionChannels {
            task.network.channelsDown[0] = c; task.network.channelsUp[0] = c
        }
        switch tuning.length {
        case .heldOut:
            task.settings.autoStop = h.autoStop
            task.settings.iterations = h.iterations
        case let .fixed(balanced, fast):
            task.settings.autoStop = nil
            task.settings.iterations = preset == .fast ? fast : balanced
        }
        task.settings.totalVariationWeight = tuning.totalVariationWeight
        task.settings.inputLearningRate = preset == .balanced ? tuning.balancedInputLearningRate ?? h.inputLearningRate : h.inputLearningRate
        task.settings.members = tuning.averagesMembers ? h.members : 1
        task.settings.expWeight = h.expWeight
        task.settings.regNoiseStd = h.regNoiseStd
        // Backtracking would copy every parameter, the input included, at each step.
        task.settings.backtracking = nil
        return task
    }
}
