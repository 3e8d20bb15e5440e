/// Auto stop by self-validation: the fit leaves a few pixels out of its loss
/// (`HeldOutPixels`) and watches the averaged output's mean squared error against the
/// noisy image on them. Its expectation is the true error there plus σ², so it falls while
/// the network fits the image and rises once it fits noise. Unlike the outputs' variance it
/// needs no loss floor and no lag, and it keeps turning up after the best iteration however
/// smoothly the outputs settle.
///
/// The held-out pixels are filled in by the network, not fitted, so on fine texture their
/// error levels off while the fitted pixels still improve. The result kept is therefore the
/// latest averaged output whose held-out error is within `heldOutTolerance` (relative) of the
/// lowest so far, not the first at the lowest; the fit stops `patience` iterations past it.
final class HeldOutErrorDetector: StopDetector {
    let rule: AutoStop
    private let pixels: HeldOutPixels
    private let target: Tensor
    private var lowest = Double.infinity
    /// The 1-based iteration of the result kept (0: none yet).
    private(set) var pick = 0
    private(set) var signal = Double.nan

    init(rule: AutoStop, pixels: HeldOutPixels, target: Tensor) {
        self.rule = rule; self.pixels = pixels; self.target = target
    }

    struct State: Equatable, Sendable {
        var error, lowest: Double
        var pick: Int
    }

    var state: StopDetectorState {
        get { .heldOut(State(error: signal, lowest: lowest, pick: pick)) }
        set {
            guard case let .heldOut(s) = newValue else { preconditionFailure("not a held-out detector's state") }
            signal = s.error; lowest = s.lowest; pick = s.pick
        }
    }

    func observe(output: Tensor, average: Tensor, iteration: Int, loss: Float, _ compute: Compute) -> Bool {
        signal = pixels.error(average, target)
        guard iteration >= rule.minIterations else { return false }
        lowest = min(lowest, signal)
        guard signal <= lowest * (1 + rule.heldOutTolerance) else { return false }
        pick = iteration
        return true
    }

    func copyDelay(averageLag: Int) -> Int { 0 }

    func shouldStop(at iteration: Int) -> Bool { pick > 0 && iteration - pick >= rule.patience }
}
