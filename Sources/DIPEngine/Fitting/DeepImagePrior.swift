/// The Deep Image Prior loop of the reference notebooks:
///
///     each step i:  z_i = z + N(0, σ_reg²)          (fresh jitter, not accumulated)
///                   out = f_θ(z_i); loss = task(out); backward
///                   [with a TV weight λ: loss = √task(out) + λ·TV(out)]
///                   avg = out (i = 0), else w·avg + (1 − w)·out
///                   backtracking check on PSNR(out, degraded input)
///                   Adam step (or, with `.lbfgs`, Adam warm-up steps, then L-BFGS),
///                   of z too when the settings fit the input
///                   with auto stop: the outputs' moving variance or the error on held-out
///                   pixels; a copy of the result at its minimum; stop `patience` steps
///                   past it (see `AutoStop`)
///
/// Backtracking follows the reference exactly: if the PSNR fell by more than
/// 5 dB since the last saved state, the saved parameters are copied back, and
/// Adam still steps with the gradient just computed; otherwise the current
/// parameters are saved.
public enum DeepImagePrior {
    public static func fit(network: SkipNetwork, input: NetworkInput, objective: FitObjective,
                           settings: FitSettings, cancel: CancellationFlag? = nil,
                           checkpoints: FitCheckpointing? = nil,
                           onProgress: ((FitProgress) -> Void)? = nil,
                           onSnapshot: ((FitProgress) -> Void)? = nil) throws -> FitResult {
        let shape = objective.outputShape
        let netShape = try network.checkedOutputShape(height: shape.height, width: shape.width)
        precondition(netShape.channels == shape.channels, "network outputs \(netShape.channels) channels, task needs \(shape.channels)")
        precondition(input.channels == network.configuration.inputChannels, "input has \(input.channels) channels, network takes \(network.configuration.inputChannels)")
        // The network's passes stop between layers once `cancel` is set; the objective
        // (a classifier, for the pre-image) always runs whole.
        // Only the network's convolutions may run bf16; the objective stays fp32.
        var objectiveCompute = Compute(threads: settings.threads)
        objectiveCompute.precision = .fp32
        var compute = objectiveCompute
        compute.interrupt = cancel
        compute.precision = settings.precision ?? Precision.selected

        let z = input.make(height: shape.height, width: shape.width, seed: settings.seed)
        // A fitted input is one more parameter, last in the list: backtracking and checkpoints
        // keep it with the network's, and Adam steps it at its own rate.
        let fittedInput = settings.inputLearningRate.map { _ in Parameter(name: "input", shape: [z.channels, z.height, z.width]) }
        fittedInput?.value.update(from: z.data, count: z.count)
        network.root.needsInputGradient = fittedInput != nil
        let parameters = network.parameters + (fittedInput.map { [$0] } ?? [])
        let jittered = Tensor(z.shape)
        let gradient = Tensor(shape)
        let average = Tensor(shape)
        let lastOutput = Tensor(shape)
        var savedState = settings.backtracking == nil ? [] : parameters.map { $0.values }
        var lastPSNR = 0.0

        let clock = ContinuousClock()
        var start = clock.now
        var done = 0
        var stop = StopReason.iterations
        var latest: Tensor?
        let detector: StopDetector? = settings.autoStop.map { rule in
            if rule.criterion == .heldOutPixels, let (pixels, target) = objective.heldOut {
                return HeldOutErrorDetector(rule: rule, pixels: pixels, target: target)
            }
            return OutputVarianceDetector(rule: rule, shape: shape)
        }
        let best = detector == nil ? nil : Tensor(shape)
        // The variance's minimum marks the raw output's best; an exponential average of the
        // outputs trails the raw output by about 1/(1 − w) steps, so it is taken that much later
        // (the held-out error watches the average itself: no delay).
        let averageLag = settings.expWeight.map { Int((1 / (1 - Double($0))).rounded()) } ?? 0
        var copyAt: Int?
        var picked: Int?

        // Checkpoints: Adam fits only (L-BFGS keeps a history that is not saved).
        let checkpointing = settings.optimizer == .adam ? checkpoints : nil
        var lastCheckpoint = 0.0
        func checkpoint(_ adam: Adam) -> FitCheckpoint {
            let moments = adam.state
            return FitCheckpoint(iteration: done, seconds: (clock.now - start).seconds,
                                 parameters: parameters.map(\.values), adamStep: moments.step,
                                 adamFirstMoments: moments.first, adamSecondMoments: moments.second,
                                 average: average.values, lastOutput: (latest ?? lastOutput).values,
                                 backtrackingCopy: savedState, backtrackingPSNR: lastPSNR,
                                 detector: detector?.state, best: best?.values, picked: picked, copyAt: copyAt)
        }
        var resumeAdam: FitCheckpoint?
        if let cp = checkpointing?.resume {
            try Self.check(cp, parameters: parameters, shape: shape, detector: detector?.state,
                           backtracking: settings.backtracking != nil, iterations: settings.iterations)
            for (p, values) in zip(parameters, cp.parameters) { p.values = values }
            cp.average.withUnsafeBufferPointer { average.data.update(from: $0.baseAddress!, count: average.count) }
            cp.lastOutput.withUnsafeBufferPointer { lastOutput.data.update(from: $0.baseAddress!, count: lastOutput.count) }
            if cp.iteration > 0 { latest = lastOutput }
            savedState = cp.backtrackingCopy
            lastPSNR = cp.backtrackingPSNR
            if let state = cp.detector { detector?.state = state }
            if let values = cp.best { values.withUnsafeBufferPointer { best!.data.update(from: $0.baseAddress!, count: best!.count) } }
            picked = cp.picked; copyAt = cp.copyAt
            done = cp.iteration
            start = clock.now - .nanoseconds(Int64(cp.seconds * 1e9))
            lastCheckpoint = cp.seconds
            resumeAdam = cp
        }

        /// Step i's network evaluation: loss and gradients, output average, backtracking;
        /// nil when a cancel cut the passes short (the step is then not taken).
        func evaluate(_ i: Int) -> (loss: Float, output: Tensor, psnr: Double, restored: Bool)? {
            if let fittedInput { z.data.update(from: fittedInput.value, count: z.count) }
            let netInput: Tensor
            if settings.regNoiseStd > 0 {
                jitter(z, into: jittered, std: settings.regNoiseStd, seed: settings.seed, step: i, compute)
                netInput = jittered
            } else {
                netInput = z
            }
            for p in parameters { p.zeroGrad() }
            let out = network.forward(netInput, compute)
            if compute.isInterrupted { return nil }
            var loss = objective.loss(output: out, gradient: gradient, compute: objectiveCompute)
            if settings.totalVariationWeight > 0 {
                loss = Self.regularize(loss: loss, output: out, gradient: gradient, weight: settings.totalVariationWeight, compute)
            }
            let inputGradient = network.backward(gradient, compute)
            if compute.isInterrupted { return nil }
            if let fittedInput, let inputGradient { fittedInput.grad.update(from: inputGradient.data, count: fittedInput.count) }
            let psnr = objective.psnrAgainstInput(out)
            if let w = settings.expWeight, i > 0 {
                let a = average.data, o = out.data
                compute.forEachChunk(average.count, grain: 1 << 16) { r in for j in r { a[j] = w * a[j] + (1 - w) * o[j] } }
            } else {
                average.copy(from: out)
            }
            var restored = false
            if let bt = settings.backtracking {
                let due = bt.onlyAtPeriod ? i % bt.period == 0 : i % bt.period != 0
                if due {
                    if psnr - lastPSNR < -bt.dropDB {
                        for (p, values) in zip(parameters, savedState) { p.values = values }
                        restored = true
                    } else {
                        for (k, p) in parameters.enumerated() {
                            savedState[k].withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: p.value, count: p.count) }
                        }
                        lastPSNR = psnr
                    }
                }
            }
            return (loss, out, psnr, restored)
        }

        /// Counts step i as done, keeps the auto-stop pick, and tells the handlers.
        /// False when the fit must end here (auto stop or the time limit).
        func finish(_ i: Int, _ e: (loss: Float, output: Tensor, psnr: Double, restored: Bool)) -> Bool {
            done = i + 1
            latest = e.output
            if let detector, detector.observe(output: e.output, average: average, iteration: done, loss: e.loss, compute) {
                copyAt = done + detector.copyDelay(averageLag: averageLag)
            }
            if let best, copyAt == done {
                best.copy(from: settings.expWeight == nil ? e.output : average)
                picked = done
            }
            let seconds = (clock.now - start).seconds
            if onProgress != nil || onSnapshot != nil {
                let progress = FitProgress(iteration: done, iterations: settings.iterations, loss: e.loss, psnrInput: e.psnr,
                                           iterationsPerSecond: Double(done) / max(seconds, 1e-9), seconds: seconds,
                                           restoredParameters: e.restored, output: e.output, average: average,
                                           stopSignal: detector?.signal, bestIteration: picked)
                onProgress?(progress)
                if settings.snapshotEvery > 0 && (done % settings.snapshotEvery == 0 || done == settings.iterations) {
                    onSnapshot?(progress)
                }
            }
            if let detector, detector.shouldStop(at: done), picked == copyAt { stop = .autoStop; return false }
            if let limit = settings.timeLimit, seconds >= limit, done < settings.iterations { stop = .timeLimit; return false }
            return true
        }

        /// Adam steps i ..< end; returns the next step's index.
        func adamSteps(from first: Int, to end: Int, learningRate: Float) -> Int {
            let adam = Adam(parameters, learningRate: learningRate)
            if let rate = settings.inputLearningRate { adam.rateFactors[parameters.count - 1] = rate / learningRate }
            if let cp = resumeAdam { adam.state = (cp.adamStep, cp.adamFirstMoments, cp.adamSecondMoments) }
            for i in first..<end {
                guard cancel?.isCancelled != true, let e = evaluate(i) else {
                    stop = .canceled
                    checkpointing?.save(checkpoint(adam))
                    return i
                }
                adam.update(compute)
                let goOn = finish(i, e)
                if let c = checkpointing, goOn, i + 1 < end {
                    let now = (clock.now - start).seconds
                    if now - lastCheckpoint >= c.interval { c.save(checkpoint(adam)); lastCheckpoint = now }
                }
                if !goOn { return i + 1 }
            }
            return end
        }

        switch settings.optimizer {
        case .adam:
            _ = adamSteps(from: done, to: settings.iterations, learningRate: settings.learningRate)
        case .lbfgs:
            let options = settings.lbfgs
            var i = adamSteps(from: 0, to: min(options.warmupSteps, settings.iterations), learningRate: options.warmupLearningRate)
            if stop == .iterations && i < settings.iterations {
                let lbfgs = LBFGS(parameters, learningRate: settings.learningRate, historySize: options.historySize,
                                  toleranceGrad: -1, toleranceChange: -1)
                lbfgs.step(maxIterations: settings.iterations - i) {
                    guard cancel?.isCancelled != true, let e = evaluate(i) else { stop = .canceled; return nil }
                    let goOn = finish(i, e)
                    i += 1
                    return goOn ? e.loss : nil
                }
            }
        }
        if let latest, latest !== lastOutput { lastOutput.copy(from: latest) }
        if done == 0 { average.zero() }
        // With auto stop, every ending (cap, time limit, cancel) returns the pick so far.
        let image = picked != nil ? best! : settings.expWeight == nil ? lastOutput : average
        return FitResult(image: image, lastOutput: lastOutput, iterations: done, stopReason: stop,
                         seconds: (clock.now - start).seconds, bestIteration: picked)
    }

    /// Throws unless the checkpoint was taken from a fit of this network, size and settings.
    static func check(_ cp: FitCheckpoint, parameters: [Parameter], shape: Shape, detector: StopDetectorState?,
                      backtracking: Bool, iterations: Int) throws(FitCheckpoint.DecodingError) {
        // The steps left run from the checkpoint's iteration to the fit's count; past it there are none.
        guard cp.iteration <= iterations else {
            throw .doesNotFit("the checkpoint is at iteration \(cp.iteration), past the fit's \(iterations)")
        }
        let sizes = parameters.map(\.count)
        guard cp.parameters.map(\.count) == sizes, cp.adamFirstMoments.map(\.count) == sizes,
              cp.adamSecondMoments.map(\.count) == sizes else { throw .doesNotFit("the network's parameters differ") }
        guard cp.average.count == shape.count, cp.lastOutput.count == shape.count,
              (cp.best?.count ?? shape.count) == shape.count, (cp.detector?.imageCount ?? shape.count) == shape.count
        else { throw .doesNotFit("the output is not \(shape)") }
        guard cp.detector?.rule == detector?.rule, (cp.best != nil) == (detector != nil) else {
            throw .doesNotFit("auto stop differs")
        }
        guard backtracking ? cp.backtrackingCopy.map(\.count) == sizes : cp.backtrackingCopy.isEmpty else {
            throw .doesNotFit("backtracking differs")
        }
    }

    /// The loss √task + weight·TV(out) from the task's loss: scales the task's gradient
    /// (d√L = dL / 2√L) and adds TV's.
    static func regularize(loss: Float, output: Tensor, gradient: Tensor, weight: Float, _ compute: Compute) -> Float {
        let root = loss.squareRoot()
        let scale: Float = root > 0 ? 0.5 / root : 0
        let g = gradient.data
        compute.forEachChunk(gradient.count, grain: 1 << 16) { r in for j in r { g[j] *= scale } }
        let tv = TotalVariation.evaluate(output: output, weight: weight, addingGradientTo: gradient, compute: compute)
        return root + weight * tv
    }

    /// z + N(0, std²), drawn in fixed-size blocks each with its own stream, so the
    /// noise depends on the seed and the step only, not on the thread count.
    static func jitter(_ z: Tensor, into out: Tensor, std: Float, seed: UInt64, step: Int, _ compute: Compute) {
        let block = 1 << 15
        let blocks = (z.count + block - 1) / block
        let src = z.data, dst = out.data, n = z.count
        compute.forEachChunk(blocks) { range in
            for b in range {
                var rng = RandomSource(seed: seed, stream: UInt64(step) << 20 | UInt64(b))
                let lo = b * block, len = min(block, n - lo)
                rng.fillNormal(dst + lo, count: len, scale: std)
                for j in lo..<(lo + len) { dst[j] += src[j] }
            }
        }
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
