import Testing
@testable import DIPEngine

/// Auto stop by self-validation: pixels left out of the loss, and the error on them.
@Suite("Auto stop on held-out pixels")
struct HeldOutStopTests {
    static let whole = PaddedRegion(top: 0, left: 0, height: 16, width: 16, paddedHeight: 16, paddedWidth: 16)

    /// A fixed draw for a seed, about the fraction asked, and never a pixel that padding
    /// copies: each held-out value appears once in the padded image, at its own place.
    @Test func pixelsAreAFixedDrawThatNoPaddingCopies() {
        // A 45×50 image padded to 64×64: 7 rows above and below, 9 columns left, 10 right.
        let r = PaddedRegion(top: 7, left: 9, height: 50, width: 45, paddedHeight: 64, paddedWidth: 64)
        let a = HeldOutPixels(region: r, fraction: 0.1, seed: 1)
        #expect(a == HeldOutPixels(region: r, fraction: 0.1, seed: 1))
        #expect(a.indices != HeldOutPixels(region: r, fraction: 0.1, seed: 2).indices)
        let image = Tensor(Shape(1, 50, 45))
        for j in 0..<image.count { image.data[j] = Float(j) }         // every pixel its own value
        let padded = SizePolicy.pad(image, r)
        // Rows 1...7 and 42...48 and columns 1...9 and 34...43 are mirrored into the padding.
        let candidates = (50 - 8 - 8) * (45 - 10 - 11)
        #expect(abs(Double(a.indices.count) / Double(candidates) - 0.1) < 0.03, "\(a.indices.count) of \(candidates)")
        for i in a.indices {
            let copies = (0..<padded.count).filter { padded.data[$0] == padded.data[i] }
            #expect(copies == [i], "pixel \(i) is copied to \(copies)")
        }
        // Without padding every pixel is a candidate, edges included.
        let plain = HeldOutPixels(region: PaddedRegion(top: 0, left: 0, height: 64, width: 64, paddedHeight: 64, paddedWidth: 64),
                                  fraction: 0.05, seed: 1)
        #expect(abs(Double(plain.indices.count) / 4096 - 0.05) < 0.015)
        #expect(plain.indices.contains { $0 % 64 == 0 || $0 % 64 == 63 || $0 < 64 || $0 >= 4032 })
    }

    /// A small image holds out more than the fraction, up to a tenth, toward the minimum count;
    /// a large one just the fraction.
    @Test func smallImagesHoldOutEnoughPixels() {
        func count(_ side: Int) -> Int {
            let r = PaddedRegion(top: 0, left: 0, height: side, width: side, paddedHeight: side, paddedWidth: side)
            return HeldOutPixels(region: r, fraction: 0.02, minimumCount: 1024, seed: 1).indices.count
        }
        #expect((80...125).contains(count(32)), "\(count(32)) of 1024: about a tenth")
        #expect((330...490).contains(count(64)), "\(count(64)) of 4096: about a tenth")
        #expect((880...1170).contains(count(224)), "\(count(224)) of 50176: about 1024")
        #expect((1150...1480).contains(count(256)), "\(count(256)) of 65536: about 2 %")
    }

    /// The loss neither counts nor differentiates the held-out pixels, in any channel; the
    /// held-out error is the mean squared error on them.
    @Test func heldOutPixelsDoNotReachTheLoss() {
        let target = FitLoopTests.target()
        let pixels = HeldOutPixels(region: Self.whole, fraction: 0.2, seed: 5)
        #expect(!pixels.indices.isEmpty)
        let objective = FitImage(target: target, heldOut: pixels)
        let (loss, output, gradient) = Self.lossAtGrey(objective, counted: { !Set(pixels.indices).contains($0) })
        let changed = target.clone()
        for c in 0..<3 { for i in pixels.indices { changed.data[c * 256 + i] += 0.5 } }
        #expect(FitImage(target: changed, heldOut: pixels).loss(output: output, gradient: gradient, compute: .serial) == loss)
        #expect(FitImage(target: changed).loss(output: output, gradient: gradient, compute: .serial) != loss)

        var sum = 0.0, lumaSum = 0.0
        for c in 0..<3 { for i in pixels.indices { let d = Double(0.3 - target.data[c * 256 + i]); sum += d * d } }
        for i in pixels.indices {
            let d = 0.299 * Double(0.3 - target.data[i]) + 0.587 * Double(0.3 - target.data[256 + i])
                + 0.114 * Double(0.3 - target.data[512 + i])
            lumaSum += d * d
        }
        #expect(abs(pixels.error(output, target) - sum / Double(3 * pixels.indices.count)) < 1e-12)
        let luma = HeldOutPixels(region: Self.whole, fraction: 0.2, luma: true, seed: 5)
        #expect(luma.indices == pixels.indices)
        #expect(abs(luma.error(output, target) - lumaSum / Double(pixels.indices.count)) < 1e-12)
        #expect(objective.heldOut?.pixels == pixels && FitImage(target: target).heldOut == nil)
    }

    /// The loss of a flat grey output on a 16² target, checking that its gradient is non-zero in
    /// every channel exactly at the pixels the loss counts.
    static func lossAtGrey(_ objective: FitObjective, counted: (Int) -> Bool) -> (Float, Tensor, Tensor) {
        let output = Tensor(objective.outputShape)
        output.fill(0.3)
        let gradient = Tensor(objective.outputShape)
        let loss = objective.loss(output: output, gradient: gradient, compute: .serial)
        for c in 0..<3 {
            for i in 0..<256 {
                let g = gradient.data[c * 256 + i]
                #expect(counted(i) ? g != 0 : g == 0, "channel \(c) pixel \(i): \(g)")
            }
        }
        return (loss, output, gradient)
    }

    /// Inpainting holds out known pixels only (a hole has no value to compare with), and its
    /// loss leaves them out as it leaves out the holes, in every channel.
    @Test func inpaintingHoldsOutKnownPixelsOnly() {
        let target = FitLoopTests.target()
        let mask = Tensor(Shape(1, 16, 16))
        for i in 0..<256 where (i / 16 + i % 16) % 3 != 0 { mask.data[i] = 1 }     // a third of the pixels are holes
        let pixels = HeldOutPixels(region: Self.whole, fraction: 0.3, known: mask, seed: 5)
        #expect(pixels.indices.count > 30, "\(pixels.indices.count)")
        #expect(pixels.indices.allSatisfy { mask.data[$0] == 1 })
        // The same draw as without a mask, the holes left out.
        let unmasked = HeldOutPixels(region: Self.whole, fraction: 0.3, seed: 5)
        #expect(pixels.indices == unmasked.indices.filter { mask.data[$0] == 1 })

        let objective = FitMaskedImage(target: target, mask: mask, heldOut: pixels)
        let held = Set(pixels.indices)
        let (loss, output, gradient) = Self.lossAtGrey(objective, counted: { mask.data[$0] == 1 && !held.contains($0) })
        let changed = target.clone()
        for c in 0..<3 { for i in pixels.indices { changed.data[c * 256 + i] += 0.5 } }
        #expect(FitMaskedImage(target: changed, mask: mask, heldOut: pixels).loss(output: output, gradient: gradient, compute: .serial) == loss)
        #expect(FitMaskedImage(target: changed, mask: mask).loss(output: output, gradient: gradient, compute: .serial) != loss)
        #expect(objective.heldOut?.pixels == pixels && FitMaskedImage(target: target, mask: mask).heldOut == nil)
    }

    /// Noise whose chroma is shared by 2×2 blocks (JPEG's 4:2:0, a camera's demosaicing): an
    /// output that has learnt a held-out pixel's chroma noise from its neighbours, as a network
    /// fitting them does, must not score better than the clean image. On every channel it does;
    /// on luma it cannot.
    @Test func chromaNoiseSharedWithNeighboursDoesNotLowerTheError() {
        let clean = FitLoopTests.target()
        var rng = RandomSource(seed: 9, stream: 1)
        // Two directions of zero luma: 0.299·r + 0.587·g + 0.114·b = 0.
        let u: [Float] = [0.587, -0.299, 0], v: [Float] = [0.114, 0, -0.299]
        let blockChroma = (0..<64).map { _ in rng.normalPair() }.map { ($0.0 * 0.15, $0.1 * 0.15) }
        let noisy = clean.clone(), learnt = clean.clone()
        for y in 0..<16 {
            for x in 0..<16 {
                let i = y * 16 + x, (a, b) = blockChroma[(y / 2) * 8 + x / 2], luma = rng.normalPair().0 * 0.05
                for c in 0..<3 {
                    let chroma = a * u[c] + b * v[c]
                    noisy.data[c * 256 + i] += luma + chroma
                    learnt.data[c * 256 + i] += chroma      // the neighbours' chroma, not this pixel's luma
                }
            }
        }
        let everyChannel = HeldOutPixels(region: Self.whole, fraction: 0.2, seed: 3)
        let pixels = HeldOutPixels(region: Self.whole, fraction: 0.2, luma: true, seed: 3)
        #expect(everyChannel.error(learnt, noisy) < 0.5 * everyChannel.error(clean, noisy), "the scenario fools an error on every channel")
        #expect(abs(pixels.error(learnt, noisy) - pixels.error(clean, noisy)) < 1e-9)
        #expect(pixels.error(clean, noisy) > 0.5 * 0.05 * 0.05, "the luma noise's variance is still seen")
        // A grey image's error stays the mean over its one channel.
        let grey = Tensor(Shape(1, 16, 16)), zero = Tensor(Shape(1, 16, 16))
        grey.fill(0.25)
        #expect(abs(pixels.error(grey, zero) - 0.0625) < 1e-12)
    }

    /// Averaged outputs that close in on the image and then move away again: the pick is the
    /// iteration of the lowest held-out error itself (the rule watches the average: no lag),
    /// none before the start iteration, and the stop comes `patience` iterations later.
    @Test func detectorPicksTheLowestHeldOutError() {
        let target = FitLoopTests.target()
        let pixels = HeldOutPixels(region: Self.whole, fraction: 0.1, seed: 2)
        let detector = HeldOutErrorDetector(rule: AutoStop(criterion: .heldOutPixels, patience: 30, minIterations: 20),
                                            pixels: pixels, target: target)
        let average = Tensor(target.shape)
        var picks: [Int] = [], stoppedAt: Int?
        for t in 1...300 {
            let off = Float(abs(t - 90) + 1) * 0.002
            for j in 0..<average.count { average.data[j] = target.data[j] + off }
            if detector.observe(output: average, average: average, iteration: t, loss: 0, .serial) { picks.append(t) }
            if detector.shouldStop(at: t) { stoppedAt = t; break }
        }
        #expect(picks == Array(20...90))
        #expect(stoppedAt == 120)
        #expect(detector.copyDelay(averageLag: 100) == 0)
    }

    /// Where the held-out error levels off (texture the fitted pixels still gain), the pick
    /// follows the level to its end: the latest error within the tolerance of the lowest.
    /// Without a tolerance it stays at the lowest.
    @Test(arguments: [(0.01, 150), (0.0, 90)])
    func detectorFollowsALevelWithinItsTolerance(tolerance: Double, lastPick: Int) {
        let target = FitLoopTests.target()
        let pixels = HeldOutPixels(region: Self.whole, fraction: 0.1, seed: 2)
        let rule = AutoStop(criterion: .heldOutPixels, heldOutTolerance: tolerance, patience: 30, minIterations: 20)
        let detector = HeldOutErrorDetector(rule: rule, pixels: pixels, target: target)
        let average = Tensor(target.shape)
        var picks: [Int] = [], stoppedAt: Int?
        for t in 1...400 {
            // The error falls to iteration 90, creeps up by 0.6 % to 150, then rises fast.
            let off: Float = t < 90 ? Float(90 - t) * 0.002
                : t <= 150 ? Float(t - 90) * 0.000005 : 0.0003 + Float(t - 150) * 0.002
            for j in 0..<average.count { average.data[j] = target.data[j] + 0.1 + off }
            if detector.observe(output: average, average: average, iteration: t, loss: 0, .serial) { picks.append(t) }
            if detector.shouldStop(at: t) { stoppedAt = t; break }
        }
        #expect(picks.first == 20 && picks.last == lastPick)
        #expect(stoppedAt == lastPick + 30)
    }

    /// A real fit with the held-out rule stops by itself and returns the average from its
    /// pick; a task whose degradation is not white noise (JPEG) runs the variance rule
    /// instead, exactly as if it had been asked for.
    @Test func fitStopsOnItsHeldOutErrorWhereTheNoiseIsWhite() throws {
        var s = FitSettings()
        s.iterations = 3000; s.seed = 1; s.threads = 2; s.expWeight = 0.9
        s.autoStop = AutoStop(criterion: .heldOutPixels, heldOutFraction: 0.1, patience: 25, minIterations: 20)
        var task = DenoisingTask(image: FitLoopTests.target(), network: FitLoopTests.tiny, settings: s)
        task.additiveWhiteNoise = true
        #expect(task.fitSettings.autoStop?.lossFloor == nil)       // the held-out rule needs no floor
        var averages: [Int: [Float]] = [:]
        let r = try task.run(onProgress: { p in
            averages[p.iteration] = p.average.values
            #expect(p.stopSignal.map { $0 > 0 && $0 < 1 } == true)
        })
        let best = try #require(r.bestIteration)
        #expect(r.stopReason == .autoStop && r.iterations == best + 25)
        #expect(r.image.values == averages[best])

        task.additiveWhiteNoise = false
        let jpegLike = try task.run(onProgress: nil, onSnapshot: nil)
        task.settings.autoStop?.criterion = .outputVariance
        let variance = try task.run(onProgress: nil, onSnapshot: nil)
        #expect(jpegLike.iterations == variance.iterations && jpegLike.bestIteration == variance.bestIteration)
        #expect(jpegLike.image.values == variance.image.values)
    }
}
