#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Activation maximization with the network taken away — the paper's comparison for its prior:
/// the image's own values are the parameters, through the sigmoid the network ends with
/// (x = σ(u)), and Adam steps them at the task's rate with the same loss. Nothing but the
/// classifier shapes the image, so it fills with the high-frequency patterns the classifier
/// answers to rather than with anything natural.
enum PixelActivationFit {
    /// Runs `settings.iterations` Adam steps from u drawn uniform in ±0.1 (a grey image with a
    /// little noise, as the network's first outputs), honouring cancel, the time limit and the
    /// progress and snapshot callbacks as `DeepImagePrior.fit` does. No input jitter (there is
    /// no input), no average, no auto stop; the result is the last image.
    static func run(objective: FitActivation, settings: FitSettings, cancel: CancellationFlag?,
                    onProgress: ((FitProgress) -> Void)?, onSnapshot: ((FitProgress) -> Void)?) -> FitResult {
        let shape = objective.outputShape
        let compute = Compute(threads: settings.threads)
        let pixels = Parameter(name: "pixels", shape: [shape.channels, shape.height, shape.width])
        var rng = RandomSource(seed: settings.seed, stream: 0x5049_5845)
        for i in 0..<pixels.count { pixels.value[i] = 0.2 * rng.uniform() - 0.1 }
        let adam = Adam([pixels], learningRate: settings.learningRate)
        let image = Tensor(shape), gradient = Tensor(shape)

        let clock = ContinuousClock()
        let start = clock.now
        var done = 0
        var stop = StopReason.iterations
        // The image is σ(u) of the pixels as they are: set once here and after each step.
        func sigmoid() { for i in 0..<image.count { image.data[i] = 1 / (1 + expf(-pixels.value[i])) } }
        sigmoid()
        while done < settings.iterations {
            if cancel?.isCancelled == true { stop = .canceled; break }
            let loss = objective.loss(output: image, gradient: gradient, compute: compute)
            // dL/du = dL/dx · x (1 − x)
            for i in 0..<image.count { let x = image.data[i]; pixels.grad[i] = gradient.data[i] * x * (1 - x) }
            adam.update(compute)
            sigmoid()
            done += 1
            let seconds = (clock.now - start).seconds
            if onProgress != nil || onSnapshot != nil {
                let progress = FitProgress(iteration: done, iterations: settings.iterations, loss: loss, psnrInput: 0,
                                           iterationsPerSecond: Double(done) / max(seconds, 1e-9), seconds: seconds,
                                           restoredParameters: false, output: image, average: image)
                onProgress?(progress)
                if settings.snapshotEvery > 0 && (done % settings.snapshotEvery == 0 || done == settings.iterations) {
                    onSnapshot?(progress)
                }
            }
            if let limit = settings.timeLimit, seconds >= limit, done < settings.iterations { stop = .timeLimit; break }
        }
        return FitResult(image: image, lastOutput: image.clone(), iterations: done, stopReason: stop,
                         seconds: (clock.now - start).seconds)
    }
}
