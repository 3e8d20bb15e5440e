/// What auto stop watches over a fit: one observation per iteration, a pick of the
/// iteration whose result to keep, and the word to stop. Two rules: the outputs'
/// moving variance (`OutputVarianceDetector`) and the error on held-out pixels
/// (`HeldOutErrorDetector`).
protocol StopDetector: AnyObject {
    /// Takes iteration `iteration`'s (1-based) raw output, the averaged output and the loss;
    /// true when the result to keep is this iteration's.
    func observe(output: Tensor, average: Tensor, iteration: Int, loss: Float, _ compute: Compute) -> Bool
    /// Iterations after a pick at which the averaged result is taken: the averaged output
    /// trails the raw one by `averageLag` steps, so a rule that watches the raw output waits that long.
    func copyDelay(averageLag: Int) -> Int
    /// True once the rule's patience has run out after its pick.
    func shouldStop(at iteration: Int) -> Bool
    /// The value the rule watches, after the last observation (for reports).
    var signal: Double { get }
    var state: StopDetectorState { get set }
}

/// A detector's running state, for a checkpoint.
enum StopDetectorState: Equatable, Sendable {
    case outputVariance(OutputVarianceDetector.State)
    case heldOut(HeldOutErrorDetector.State)

    var rule: AutoStop.Criterion {
        switch self {
        case .outputVariance: return .outputVariance
        case .heldOut: return .heldOutPixels
        }
    }

    /// The size of the image the state holds (nil: it holds none).
    var imageCount: Int? {
        if case let .outputVariance(s) = self { return s.mean.count }
        return nil
    }
}
