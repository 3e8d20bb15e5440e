/// What the presets' fitted-input fit (`Preset.FittedInputFit`) takes from the task it runs:
/// the preset sets how the input is fitted and averaged, the task which network, how strong a
/// total-variation term its degradation needs and how the fit knows when to stop.
public struct FittedInputTuning: Sendable, Equatable {
    /// The network the fit takes (nil: the task's own). The preset caps its channels as any other.
    public var network: SkipConfiguration?
    /// `FitSettings.totalVariationWeight`.
    public var totalVariationWeight: Float
    /// How long the fit runs.
    public var length: Length
    /// The input's learning rate with `balanced` (nil: the preset's `FittedInputFit.inputLearningRate`).
    public var balancedInputLearningRate: Float?
    /// Whether the fit takes the preset's ensemble (`FittedInputFit.members`): the task's run
    /// fits each member (`FitEnsemble`).
    public var averagesMembers: Bool

    public enum Length: Sendable, Equatable {
        /// Until the error on pixels left out of the loss turns (the preset's held-out rule and
        /// cap): for tasks that hold pixels out (`FittingTask.holdsOutPixels`), whose held-out
        /// pixels' values are independent of the ones fitted (white noise, inpainting's exact ones).
        case heldOut
        /// A fixed count, set where the fit peaked on the development images: no pixel can be held
        /// out (a JPEG block shares its error; a low-resolution pixel sees a whole patch) and no
        /// other signal sees the turn (the outputs' moving variance keeps falling past it).
        case fixed(balanced: Int, fast: Int)
    }

    public init(network: SkipConfiguration? = nil, totalVariationWeight: Float, length: Length,
                balancedInputLearningRate: Float? = nil, averagesMembers: Bool = false) {
        self.network = network; self.totalVariationWeight = totalVariationWeight; self.length = length
        self.balancedInputLearningRate = balancedInputLearningRate; self.averagesMembers = averagesMembers
    }
}
