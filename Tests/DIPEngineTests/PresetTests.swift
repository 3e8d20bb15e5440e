import Testing
@testable import DIPEngine

/// What each preset does to a task's reference network and settings.
@Suite("Presets")
struct PresetTests {
    /// A fresh tensor for each use: tests run in parallel, and a tensor is mutable.
    static var image: Tensor { Tensor(Shape(3, 32, 32)) }

    @Test func referenceIsTheNotebookUnchanged() {
        let plain = DenoisingTask.reference(image: Self.image)
        let preset = plain.with(preset: .reference)
        #expect(preset.network == plain.network)
        #expect(preset.settings.learningRate == plain.settings.learningRate && preset.settings.iterations == plain.settings.iterations)
        #expect(preset.settings.autoStop != nil)
    }

    @Test func balancedAndFastNarrowEveryLevel() throws {
        let mask = Tensor(Shape(1, 32, 32))
        let text = try InpaintingTask.reference(image: Self.image, mask: mask, setup: .text)
        for preset in [Preset.balanced, .fast] {
            for plain in [DenoisingTask.reference(image: Self.image), DenoisingTask.jpegReference(image: Self.image)] {
                let task = plain.with(preset: preset)
                #expect(task.network.channelsDown.max() == 32 && task.network.channelsUp.max() == 32, "\(preset)")
                #expect(task.settings.learningRate == plain.settings.learningRate * 2)
                try task.network.validate()
            }
            let task = text.with(preset: preset)
            #expect(Array(task.network.channelsDown.dropFirst()) == text.network.channelsDown.dropFirst().map { min($0, 32) }, "\(preset)")
            #expect(task.network.channelsSkip == text.network.channelsSkip.map { min($0, 32) }, "\(preset)")
            #expect(task.settings.learningRate == text.settings.learningRate * 2)
            try task.network.validate()
        }
    }

    /// Denoising additive noise holds pixels out: both presets stop on the held-out error and fit
    /// the input too, with the TV term, a short average and no backtracking; `balanced` keeps the
    /// reference's input jitter, `fast` drops it and narrows the full-resolution level. JPEG
    /// artefacts are not white noise: the same fit and network, denoising's, with no rule to stop
    /// it but a fixed count of iterations.
    @Test func denoisingAndJPEGFitTheInput() throws {
        let denoise = DenoisingTask.reference(image: Self.image), jpeg = DenoisingTask.jpegReference(image: Self.image)
        for (preset, patience, cap, jpegCap, jitter) in [(Preset.balanced, 50, 1000, 175, Float(1.0 / 30)), (.fast, 30, 600, 160, 0)] {
            let d = denoise.with(preset: preset)
            #expect(d.settings.autoStop?.criterion == .heldOutPixels && d.settings.autoStop?.patience == patience)
            #expect(d.settings.autoStop?.minIterations == 50 && d.settings.autoStop?.heldOutTolerance == 0)
            #expect(d.settings.autoStop?.lossFloor == nil && d.fitSettings.autoStop?.lossFloor == nil)
            #expect(d.settings.iterations == cap && d.settings.learningRate == 0.02)
            let j = jpeg.with(preset: preset)
            #expect(j.settings.autoStop == nil && j.settings.iterations == jpegCap && j.settings.learningRate == 0.02)
            #expect(j.network == d.network, "\(preset): JPEG takes denoising's network")
            // Additive noise: balanced fits the input at a third of the rate and averages two networks.
            #expect(d.settings.inputLearningRate == (preset == .balanced ? 0.01 : 0.03))
            #expect(d.settings.members == (preset == .balanced ? 2 : 1) && j.settings.members == 1)
            #expect(j.settings.inputLearningRate == 0.03)
            for t in [d, j] {
                #expect(t.settings.totalVariationWeight == 0.2)
                #expect(t.settings.expWeight == 0.9 && t.settings.regNoiseStd == jitter && t.settings.backtracking == nil)
            }
            #expect(d.network.upsampleMode == denoise.network.upsampleMode && d.network.channelsSkip == denoise.network.channelsSkip)
        }
        #expect(denoise.with(preset: .balanced).network.channelsDown == Array(repeating: 32, count: 5))
        let fast = denoise.with(preset: .fast).network
        #expect(fast.channelsDown == [16, 32, 32, 32, 32] && fast.channelsUp == [16, 32, 32, 32, 32])
        for task in [denoise, jpeg] {
            let reference = task.with(preset: .reference)
            #expect(reference.network == task.network && reference.settings.autoStop == AutoStop())
            #expect(reference.settings.inputLearningRate == nil && reference.settings.totalVariationWeight == 0)
            #expect(reference.settings.members == 1)
        }
        #expect(denoise.with(preset: .reference).fitSettings.autoStop?.lossFloor != nil)
    }

    /// Super-resolution takes the fitted-input fit with its own network, narrowed, a TV term as
    /// denoising's at ×2 and twice as strong at ×4 and ×8, and a fixed count: nothing can be held
    /// out. `reference` is the notebook's fixed-input fit.
    @Test func superResolutionFitsTheInput() throws {
        for factor in SuperResolutionTask.factors {
            let plain = try SuperResolutionTask.reference(lowResolution: Tensor(Shape(3, 16, 16)), factor: factor)
            for preset in [Preset.balanced, .fast] {
                let t = plain.with(preset: preset)
                #expect(t.settings.autoStop == nil && t.settings.iterations == 300, "×\(factor) \(preset)")
                #expect(t.settings.inputLearningRate == 0.03 && t.settings.totalVariationWeight == (factor == 2 ? 0.2 : 0.4))
                #expect(t.settings.expWeight == 0.9 && t.settings.backtracking == nil && t.settings.learningRate == 0.02)
                #expect(t.network.channelsSkip == plain.network.channelsSkip.map { min($0, 32) })
                #expect(Array(t.network.channelsDown.dropFirst()) == plain.network.channelsDown.dropFirst().map { min($0, 32) })
                #expect(t.network.upsampleMode == plain.network.upsampleMode && t.network.inputChannels == plain.network.inputChannels)
                try t.network.validate()
            }
            #expect(plain.with(preset: .balanced).network.channelsDown[0] == 32)
            #expect(plain.with(preset: .fast).network.channelsDown[0] == 16 && plain.with(preset: .fast).settings.regNoiseStd == 0)
            let reference = plain.with(preset: .reference)
            #expect(reference.network == plain.network && reference.settings.iterations == plain.settings.iterations)
            #expect(reference.settings.inputLearningRate == nil && reference.settings.totalVariationWeight == 0)
        }
    }

    /// Inpainting takes the fitted-input fit with each setup's own network and input, narrowed,
    /// and stops on the error at held-out known pixels, as denoising does.
    @Test func inpaintingFitsTheInputAndHoldsOutKnownPixels() throws {
        let mask = Tensor(Shape(1, 32, 32))
        mask.fill(1)
        for setup in InpaintingTask.Setup.allCases {
            let plain = try InpaintingTask.reference(image: Self.image, mask: mask, setup: setup)
            for (preset, patience, cap) in [(Preset.balanced, 50, 1000), (.fast, 30, 600)] {
                let t = plain.with(preset: preset)
                #expect(t.settings.autoStop?.criterion == .heldOutPixels && t.settings.autoStop?.patience == patience, "\(setup) \(preset)")
                #expect(t.settings.iterations == cap && t.settings.learningRate == 0.02)
                #expect(t.settings.inputLearningRate == 0.03 && t.settings.totalVariationWeight == 0.2)
                #expect(t.settings.expWeight == 0.9 && t.settings.backtracking == nil)
                #expect(t.input == plain.input && t.network.inputChannels == plain.network.inputChannels)
                try t.network.validate()
            }
            let reference = plain.with(preset: .reference)
            #expect(reference.network == plain.network && reference.settings.iterations == plain.settings.iterations)
            #expect(reference.settings.inputLearningRate == nil && reference.settings.autoStop?.criterion == .outputVariance)
        }
    }

    /// The rule a fit runs by: held-out only where the task holds pixels out, whatever the
    /// settings ask; the variance rule elsewhere; none with auto stop off.
    @Test func autoStopRuleFollowsTheTask() throws {
        var denoise = DenoisingTask.reference(image: Self.image).with(preset: .balanced)
        #expect(denoise.autoStopRule == .heldOutPixels)
        var jpeg = DenoisingTask.jpegReference(image: Self.image).with(preset: .reference)
        jpeg.settings.autoStop?.criterion = .heldOutPixels
        #expect(jpeg.autoStopRule == .outputVariance)
        var enlarge = try SuperResolutionTask.reference(lowResolution: Self.image, factor: 2).with(preset: .reference)
        enlarge.settings.autoStop?.criterion = .heldOutPixels
        #expect(enlarge.autoStopRule == .outputVariance)
        let hole = try InpaintingTask.reference(image: Self.image, mask: Tensor(Shape(1, 32, 32)), setup: .text)
        #expect(hole.with(preset: .fast).autoStopRule == .heldOutPixels && hole.with(preset: .reference).autoStopRule == .outputVariance)
        denoise.settings.autoStop = nil
        #expect(denoise.autoStopRule == nil)
    }

    /// Wide skips are capped like every level; a network without skips keeps none.
    @Test func skipsAreCappedLikeEveryLevel() throws {
        let mask = Tensor(Shape(1, 32, 32))
        let hole = try InpaintingTask.reference(image: Self.image, mask: mask, setup: .largeHole).with(preset: .balanced)
        #expect(hole.network.channelsSkip.allSatisfy { $0 == 0 })
        let text = try InpaintingTask.reference(image: Self.image, mask: mask, setup: .text).with(preset: .fast)
        #expect(text.network.channelsSkip == Array(repeating: 32, count: 5))
    }
}
