/// The settings of one Deep Image Prior fit. Defaults are the reference's
/// denoising notebook.
public struct FitSettings: Sendable, Equatable {
    public var iterations = 3000
    public var learningRate: Float = 0.01
    /// Standard deviation of the fresh Gaussian jitter added to the input each step (0: none).
    public var regNoiseStd: Float = 1.0 / 30
    /// Exponential average of outputs, avg = w·avg + (1 − w)·out; nil: no average.
    public var expWeight: Float? = 0.99
    /// The reference's backtracking: when PSNR against the input drops by more
    /// than `dropDB` from the last saved state, restore the saved parameters.
    public var backtracking: Backtracking? = Backtracking()
    /// Call the snapshot handler every this many iterations (0: never).
    public var snapshotEvery = 0
    public var seed: UInt64 = 0
    public var batchNormInit: BatchNormInit = .uniform
    public var threads = 1
    /// Networks fitted at once from their own seeds, their results averaged (`FitEnsemble`);
    /// the threads are shared out among them. 1: one network, the plain fit.
    public var members = 1
    /// The number format of the network's large convolutions (see `Precision`); nil: the
    /// process-wide `Precision.selected`. The objective (loss, a classifier) stays fp32.
    public var precision: Precision? = nil
    /// Adam (every reference notebook), or the reference's optimize('LBFGS'): Adam
    /// warm-up steps, then L-BFGS at `learningRate` (see `LBFGSOptions`).
    public var optimizer: Optimizer = .adam
    public var lbfgs = LBFGSOptions()
    /// Stop when the rule's signal (outputs' moving variance, held-out error) has passed its
    /// minimum, and return the result at that minimum (nil: run all `iterations` and return the last result).
    public var autoStop: AutoStop? = nil
    /// Stop after this many seconds of fitting, with the best result so far (nil: no limit).
    public var timeLimit: Double? = nil
    /// Fit the input z too, by Adam at this learning rate (nil: z stays fixed, as in the reference).
    /// A fitted input carries the image's layout from the first steps on, so the fit reaches its
    /// best in far fewer steps (README, "Presets"). L-BFGS, which has one step size, moves z with
    /// the weights.
    public var inputLearningRate: Float? = nil
    /// With a weight above 0 the loss is √(task loss) + weight · TV(output), TV the anisotropic
    /// total variation (`TotalVariation`); the root keeps the task term's pull steady as it
    /// shrinks. It holds back the noise a fitted input would otherwise take up within steps.
    public var totalVariationWeight: Float = 0

    public enum Optimizer: String, Sendable, Codable, CaseIterable { case adam, lbfgs }

    /// The reference's optimize('LBFGS', …): 100 Adam steps at lr 0.001, then one
    /// torch.optim.LBFGS(lr = LR, max_iter, tolerance_grad = −1, tolerance_change = −1)
    /// step (history 100, no line search). `iterations` counts every evaluation of the
    /// network, warm-up included: L-BFGS gets `iterations − warmupSteps` of them.
    public struct LBFGSOptions: Sendable, Equatable {
        public var warmupSteps = 100
        public var warmupLearningRate: Float = 0.001
        public var historySize = 100
        public init(warmupSteps: Int = 100, warmupLearningRate: Float = 0.001, historySize: Int = 100) {
            self.warmupSteps = warmupSteps; self.warmupLearningRate = warmupLearningRate; self.historySize = historySize
        }
    }

    public struct Backtracking: Sendable, Equatable {
        /// Checks run on iterations with i % period ≠ 0 (denoising: show_every = 100).
        /// With `onlyAtPeriod`, they run only when i % period == 0 (restoration: every 50).
        public var period = 100
        public var onlyAtPeriod = false
        public var dropDB = 5.0
        public init(period: Int = 100, onlyAtPeriod: Bool = false, dropDB: Double = 5) {
            self.period = period; self.onlyAtPeriod = onlyAtPeriod; self.dropDB = dropDB
        }
    }

    public init() {}
}

/// What the progress handler sees after each iteration. The tensors are the
/// fit's own and valid only during the call: copy what you keep.
public struct FitProgress {
    public let iteration: Int          // 1-based count of finished iterations
    public let iterations: Int
    public let loss: Float
    public let psnrInput: Double
    public let iterationsPerSecond: Double
    public let seconds: Double
    public let restoredParameters: Bool
    public let output: Tensor
    public let average: Tensor
    /// With auto stop: the value its rule watches (the outputs' moving variance, or the averaged
    /// output's error on the held-out pixels), and the iteration of the result kept so far (nil before one is taken).
    public var stopSignal: Double? = nil
    public var bestIteration: Int? = nil
}

/// Why a fit ended.
public enum StopReason: String, Sendable, Codable, CaseIterable {
    /// All `iterations` ran.
    case iterations
    /// The auto-stop rule found its signal's minimum behind it.
    case autoStop = "auto_stop"
    /// `timeLimit` seconds passed.
    case timeLimit = "time_limit"
    case canceled
}

public struct FitResult {
    /// The restored image: the exponential average when enabled, else the last output;
    /// with auto stop, that image as it was at `bestIteration`.
    public let image: Tensor
    public let lastOutput: Tensor
    public let iterations: Int
    public let stopReason: StopReason
    public let seconds: Double
    /// With auto stop: the iteration whose result `image` is (nil if none was taken).
    public var bestIteration: Int? = nil
}
