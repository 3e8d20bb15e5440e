import Testing
@testable import DIPEngine

/// Auto stop (the outputs' moving variance) and the time limit.
@Suite("Auto stop and time limit")
struct AutoStopTests {
    /// Outputs that settle toward an image and then drift away again, with the jitter's
    /// size following |t − turn| + 1: the variance's minimum must be found near the turn.
    @Test func detectorFindsWhereOutputsStopSettling() {
        let shape = Shape(1, 16, 16), compute = Compute.serial
        let rule = AutoStop(alpha: 0.1, patience: 40, minIterations: 10)
        let detector = OutputVarianceDetector(rule: rule, shape: shape)
        var rng = RandomSource(seed: 3)
        let x = Tensor(shape)
        var stoppedAt: Int?
        for t in 1...400 {
            let size = Float(abs(t - 120) + 1) * 0.01
            for j in 0..<x.count { x.data[j] = 0.5 + size * rng.uniform() }
            _ = detector.observe(output: x, average: x, iteration: t, loss: 0, compute)
            if detector.shouldStop(at: t) { stoppedAt = t; break }
        }
        // The moving average lags the turn by about 1/α iterations.
        #expect((110...140).contains(detector.bestIteration), "best \(detector.bestIteration)")
        #expect(stoppedAt == detector.bestIteration + 40)
    }

    @Test func noMinimumBeforeTheStartIteration() {
        let shape = Shape(1, 4, 4)
        let detector = OutputVarianceDetector(rule: AutoStop(alpha: 0.5, patience: 5, minIterations: 50), shape: shape)
        let x = Tensor(shape)
        for t in 1...49 {
            for j in 0..<x.count { x.data[j] = Float(t % 2) }       // large, steady variance
            #expect(!detector.observe(output: x, average: x, iteration: t, loss: 0, .serial))
            #expect(!detector.shouldStop(at: t))
        }
        #expect(detector.bestIteration == 0)
        #expect(detector.observe(output: x, average: x, iteration: 50, loss: 0, .serial) && detector.bestIteration == 50)
    }

    /// With a loss floor, no minimum is taken while the (moving average) loss is above it,
    /// however steady the outputs; the first minimum comes once the loss has met it.
    @Test func noMinimumBeforeTheLossMeetsTheFloor() {
        let shape = Shape(1, 4, 4)
        let detector = OutputVarianceDetector(rule: AutoStop(alpha: 0.5, patience: 5, minIterations: 1, lossFloor: 0.01),
                                              shape: shape)
        let x = Tensor(shape)
        x.fill(0.5)                                     // perfectly steady outputs: variance 0
        for t in 1...60 {
            let loss: Float = t <= 40 ? 0.02 : 0.005
            let best = detector.observe(output: x, average: x, iteration: t, loss: loss, .serial)
            #expect(best == (detector.floorIteration == t), "iteration \(t)")
            #expect(!detector.shouldStop(at: t) || t - detector.bestIteration >= 5)
        }
        // The moving average (weight 0.5 a step) of 0.02, then 0.005: 0.0125 at step 41, 0.00875 at 42.
        #expect(detector.floorIteration == 42 && detector.bestIteration == 42)
    }

    /// The denoising task estimates the floor from its image for the variance rule (the
    /// reference preset's), the JPEG one does not.
    @Test func denoisingSetsItsFloorFromTheImage() throws {
        let image = NoiseLevelTests.gradient(channels: 3, side: 64, noise: 0.1, seed: 5)
        let denoise = DenoisingTask.reference(image: image).with(preset: .reference)
        let floor = try #require(denoise.fitSettings.autoStop?.lossFloor)
        #expect(abs(floor.squareRoot() - 0.1) < 0.01, "σ estimated \(floor.squareRoot())")
        let jpeg = DenoisingTask.jpegReference(image: image).with(preset: .reference)
        #expect(jpeg.fitSettings.autoStop != nil && jpeg.fitSettings.autoStop?.lossFloor == nil)
        var off = denoise
        off.settings.autoStop = nil
        #expect(off.fitSettings.autoStop == nil)
    }

    /// A real fit: it stops `patience` steps after the variance minimum, and returns its
    /// result as it was at the pick: the output at the minimum, or the average 1/(1 − w)
    /// steps later (10 for w = 0.9), not the last one.
    @Test(arguments: [nil, Float(0.9)])
    func fitReturnsTheResultFromItsPick(expWeight: Float?) throws {
        var s = FitSettings()
        s.iterations = 2000; s.seed = 1; s.threads = 2; s.expWeight = expWeight
        s.autoStop = AutoStop(alpha: 0.1, patience: 25, minIterations: 20)
        let lag = expWeight == nil ? 0 : 10
        var averages: [Int: [Float]] = [:]
        var bests: [Int?] = []
        let r = try DenoisingTask(image: FitLoopTests.target(), network: FitLoopTests.tiny, settings: s).run(onProgress: { p in
            averages[p.iteration] = (expWeight == nil ? p.output : p.average).values
            bests.append(p.bestIteration)
            #expect(p.stopSignal != nil)
        })
        let best = try #require(r.bestIteration)
        #expect(r.stopReason == .autoStop)
        #expect(r.iterations == best - lag + 25 && r.iterations < 2000)
        #expect(r.image.values == averages[best])
        #expect(r.image.values != (expWeight == nil ? r.lastOutput : averages[r.iterations].map { Tensor(r.image.shape, values: $0) }!).values)
        #expect(bests.prefix(19 + lag).allSatisfy { $0 == nil } && bests.last == best)
    }

    @Test func withoutAutoStopTheLastResultAndNoPick() throws {
        var s = FitSettings()
        s.iterations = 30; s.seed = 1
        var last: [Float] = []
        let r = try DenoisingTask(image: FitLoopTests.target(), network: FitLoopTests.tiny, settings: s).run(onProgress: { p in
            last = p.average.values
            #expect(p.stopSignal == nil && p.bestIteration == nil)
        })
        #expect(r.stopReason == .iterations && r.iterations == 30 && r.bestIteration == nil)
        #expect(r.image.values == last)
    }

    @Test func timeLimitEndsTheFitWithTheBestSoFar() throws {
        var s = FitSettings()
        s.iterations = 1_000_000; s.seed = 1
        s.timeLimit = 0.5; s.expWeight = 0.9
        s.autoStop = AutoStop(alpha: 0.1, patience: 1_000_000, minIterations: 5)
        var seconds = 0.0
        let r = try DenoisingTask(image: FitLoopTests.target(), network: FitLoopTests.tiny, settings: s).run(onProgress: { p in
            seconds = p.seconds
        })
        #expect(r.stopReason == .timeLimit)
        #expect(r.iterations < 1_000_000 && r.bestIteration != nil)
        #expect(seconds >= 0.5)
    }

    @Test func cancelKeepsThePickSoFar() throws {
        var s = FitSettings()
        s.iterations = 1000; s.seed = 1; s.expWeight = nil
        s.autoStop = AutoStop(alpha: 0.1, patience: 1000, minIterations: 5)
        let flag = CancellationFlag()
        let r = try DenoisingTask(image: FitLoopTests.target(), network: FitLoopTests.tiny, settings: s)
            .run(cancel: flag, onProgress: { p in if p.iteration == 30 { flag.cancel() } })
        #expect(r.stopReason == .canceled && r.iterations == 30)
        #expect(r.bestIteration.map { (5...30).contains($0) } == true)
    }
}
