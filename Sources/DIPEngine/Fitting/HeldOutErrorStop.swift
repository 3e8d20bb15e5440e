/// Auto stop by self-validation: the fit leaves a few pixels out of its loss
/// (`HeldOutPixels`) and watches the averaged output's mean squared error against the
/// noisy image on them. Its expectation is the true error there plus σ², so it falls while
/// the network fits the image and rises once it fits noise: the result kept is the averaged
/// output at the lowest error, and the fit stops `patience` iterations past it.
/// Unlike the outputs' variance it needs no loss floor and no lag, and it keeps turning
/// up after the best iteration however smoothly the outputs settle.
final class HeldOutErrorDetector: StopDetector {
    let rule: AutoStop
    private let pixels: HeldOutPixels
    private let target: Tensor
    private var minimum = RunningMinimum()
    private(set) var signal = Double.nan

    init(rule: AutoStop, pixels: HeldOutPixels, target: Tensor) {
        self.rule = rule; self.pixels = pixels; self.target = target
    }

    struct State: Equatable, Sendable {
        var error: Double
        var minimum: RunningMinimum
    }

    var state: StopDetectorState {
        get { .heldOut(State(error: signal, minimum: minimum)) }
        set {
            guard case let .heldOut(s) = newValue else { preconditionFailure("not a held-out detector's state") }
            signal = s.error; minimum = s.minimum
        }
    }

    func observe(output: Tensor, average: Tensor, iteration: Int, loss: Float, _ compute: Compute) -> Bool {
        signal = pixels.error(average, target)
        guard iteration >= rule.minIterations else { return false }
        return minimum.take(signal, at: iteration)
    }

    func copyDelay(averageLag: Int) -> Int { 0 }

    func shouldStop(at iteration: Int) -> Bool { minimum.patienceRanOut(at: iteration, patience: rule.patience) }
}
