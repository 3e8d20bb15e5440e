/// Early stopping without the clean image: ES-EMV (Wang et al., "Early stopping for
/// deep image prior", TMLR 2023). While the network fits the image's structure its
/// successive outputs settle; once it starts fitting the noise (or the holes, or the
/// JPEG blocks) they drift again. The exponential moving variance of the outputs
///
///     d_t   = mean over pixels of (x_t − ema_{t−1})²
///     emv_t = (1 − α)·emv_{t−1} + α(1 − α)·d_t
///     ema_t = (1 − α)·ema_{t−1} + α·x_t
///
/// has its minimum near the raw output's PSNR peak. The detector keeps one image-sized
/// running mean, not a window of outputs. The fit keeps a copy of its result from the
/// lowest variance seen (an averaged result from 1/(1 − w) steps later, as the average
/// trails the outputs), and stops once `patience` iterations pass without a lower one
/// and that copy is taken.
///
/// On detailed images the variance can be lowest before the network has fitted the
/// image's content at all: its outputs are steady while it learns slowly. Denoising
/// therefore gives a loss floor, the noise variance estimated from the image
/// (`NoiseLevel`): no minimum is taken until the loss, the MSE to the noisy image, has
/// come down to it — the network is not fitting noise before it fits the image as
/// closely as the noise allows (Morozov's discrepancy principle).
///
/// Where the degradation is independent from pixel to pixel (additive noise), a fit can
/// instead hold a few pixels out of its loss and watch the error on them
/// (`Criterion.heldOutPixels`, `HeldOutErrorDetector`).
public struct AutoStop: Sendable, Equatable, Codable {
    /// What the rule watches.
    public enum Criterion: String, Sendable, Codable, CaseIterable {
        /// The raw outputs' moving variance (ES-EMV): any task.
        case outputVariance = "variance"
        /// The averaged output's error on pixels left out of the loss: tasks whose objective
        /// holds pixels out (denoising additive noise); the others fall back to the variance.
        case heldOutPixels = "held-out"
    }
    public var criterion = Criterion.outputVariance
    /// The fraction of the pixels the held-out rule leaves out of the loss.
    public var heldOutFraction = 0.02
    /// On a small image the held-out rule leaves out more than `heldOutFraction`, up to a tenth
    /// of the pixels, to hold out about this many (`HeldOutPixels`).
    public var heldOutMinimumCount = 0
    /// The held-out rule keeps the latest result whose held-out error is at most this much
    /// (relative) above the lowest so far.
    public var heldOutTolerance = 0.0
    /// Weight of the newest output in the running mean and variance.
    public var alpha: Double = 0.1
    /// Iterations without a new variance minimum before the fit stops.
    public var patience = 300
    /// No minimum is taken before this iteration: the early outputs change slowly
    /// while the network still has almost nothing fitted.
    public var minIterations = 200
    /// No minimum is taken before the loss has come down to this (nil: no floor).
    /// Denoising sets it from the image; a floor the loss never reaches leaves the fit
    /// to its iteration cap.
    public var lossFloor: Double?

    public init(criterion: Criterion = .outputVariance, heldOutFraction: Double = 0.02, heldOutMinimumCount: Int = 0,
                heldOutTolerance: Double = 0, alpha: Double = 0.1, patience: Int = 300, minIterations: Int = 200,
                lossFloor: Double? = nil) {
        self.criterion = criterion; self.heldOutFraction = heldOutFraction; self.heldOutMinimumCount = heldOutMinimumCount
        self.heldOutTolerance = heldOutTolerance
        self.alpha = alpha; self.patience = patience; self.minIterations = minIterations
        self.lossFloor = lossFloor
    }
}

/// The running state of `AutoStop`'s variance rule over one fit.
final class OutputVarianceDetector: StopDetector {
    let rule: AutoStop
    private let mean: Tensor
    private var started = false
    /// The exponential moving variance after the last observation.
    private(set) var variance = 0.0
    private(set) var bestVariance = Double.infinity
    /// The 1-based iteration of the lowest variance so far (0: none yet).
    private(set) var bestIteration = 0
    /// The first iteration whose (moving average) loss met the floor (0: not yet).
    private(set) var floorIteration = 0
    private var smoothedLoss = 0.0

    init(rule: AutoStop, shape: Shape) {
        self.rule = rule
        mean = Tensor(shape)
    }

    /// The running state, for a checkpoint.
    struct State: Equatable, Sendable {
        var mean: [Float]
        var started: Bool
        var variance, bestVariance: Double
        var bestIteration, floorIteration: Int
        var smoothedLoss: Double
    }

    var signal: Double { variance }

    var state: StopDetectorState {
        get {
            .outputVariance(State(mean: mean.values, started: started, variance: variance, bestVariance: bestVariance,
                                  bestIteration: bestIteration, floorIteration: floorIteration, smoothedLoss: smoothedLoss))
        }
        set {
            guard case let .outputVariance(newValue) = newValue else { preconditionFailure("not a variance detector's state") }
            precondition(newValue.mean.count == mean.count)
            newValue.mean.withUnsafeBufferPointer { mean.data.update(from: $0.baseAddress!, count: mean.count) }
            started = newValue.started; variance = newValue.variance; bestVariance = newValue.bestVariance
            bestIteration = newValue.bestIteration; floorIteration = newValue.floorIteration
            smoothedLoss = newValue.smoothedLoss
        }
    }

    /// Takes the output of iteration `iteration` (1-based) and its loss; true when it is
    /// the new best. The average is not used: the raw outputs' variance is the signal.
    func observe(output: Tensor, average: Tensor, iteration: Int, loss: Float, _ compute: Compute) -> Bool {
        precondition(output.shape == mean.shape)
        // The loss jitters with the input noise: its moving average is held to the floor.
        smoothedLoss = started ? (1 - rule.alpha) * smoothedLoss + rule.alpha * Double(loss) : Double(loss)
        if floorIteration == 0 && smoothedLoss <= rule.lossFloor ?? .infinity { floorIteration = iteration }
        if !started {
            mean.copy(from: output)
            started = true
            return false
        }
        let a = Float(rule.alpha)
        let m = mean.data, x = output.data, n = output.count
        let chunks = min(compute.threads, max(1, n >> 15))
        var partial = [Double](repeating: 0, count: chunks)
        partial.withUnsafeMutableBufferPointer { sums in
            compute.forEachTask(chunks) { t in
                var s: Float = 0, block: Double = 0
                for j in Compute.chunk(t, of: chunks, count: n) {
                    let d = x[j] - m[j]
                    s += d * d
                    m[j] += a * d
                    if j & 4095 == 4095 { block += Double(s); s = 0 }    // keep float sums short
                }
                sums[t] = block + Double(s)
            }
        }
        let distance = partial.reduce(0, +) / Double(n)
        variance = (1 - rule.alpha) * variance + rule.alpha * (1 - rule.alpha) * distance
        guard iteration >= rule.minIterations, floorIteration > 0, variance < bestVariance else { return false }
        bestVariance = variance
        bestIteration = iteration
        return true
    }

    func copyDelay(averageLag: Int) -> Int { averageLag }

    /// True once `patience` iterations have passed since the best one.
    func shouldStop(at iteration: Int) -> Bool {
        bestIteration > 0 && iteration - bestIteration >= rule.patience
    }
}
