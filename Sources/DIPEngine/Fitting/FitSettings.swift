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
}

public enum StopReason: String, Sendable, Codable {
    case completed, canceled
}

public struct FitResult {
    /// The restored image: the exponential average when enabled, else the last output.
    public let image: Tensor
    public let lastOutput: Tensor
    public let iterations: Int
    public let stopReason: StopReason
    public let seconds: Double
}
