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
        let jpeg = DenoisingTask.jpegReference(image: Self.image)
        for plain in [DenoisingTask.reference(image: Self.image), jpeg] {
            for preset in [Preset.balanced, .fast] {
                let task = plain.with(preset: preset)
                #expect(task.network.channelsDown.max() == 32 && task.network.channelsUp.max() == 32, "\(preset)")
                #expect(zip(task.network.channelsDown, plain.network.channelsDown).allSatisfy { $0 <= $1 })
                #expect(task.settings.learningRate == plain.settings.learningRate * 2)
                try task.network.validate()
            }
        }
        for preset in [Preset.balanced, .fast] {
            let task = jpeg.with(preset: preset)
            #expect(task.network.channelsDown == jpeg.network.channelsDown.map { min($0, 32) }, "\(preset)")
            #expect(task.network.channelsUp == jpeg.network.channelsUp.map { min($0, 32) }, "\(preset)")
            #expect(task.settings.inputLearningRate == nil && task.settings.totalVariationWeight == 0)
        }
        #expect(jpeg.with(preset: .balanced).settings.iterations == jpeg.settings.iterations)
        #expect(jpeg.with(preset: .fast).settings.iterations == Int((Double(jpeg.settings.iterations) * 0.4).rounded()))
    }

    /// Denoising additive noise holds pixels out: both presets stop on the held-out error and fit
    /// the input too, with the TV term, a short average and no backtracking; `balanced` keeps the
    /// reference's input jitter, `fast` drops it and narrows the full-resolution level. JPEG artefacts are not white noise: the reference's
    /// fit, narrowed, with the variance rule.
    @Test func denoisingTakesTheHeldOutRule() throws {
        let denoise = DenoisingTask.reference(image: Self.image), jpeg = DenoisingTask.jpegReference(image: Self.image)
        for (preset, patience, cap, jitter) in [(Preset.balanced, 50, 1000, Float(1.0 / 30)), (.fast, 30, 600, 0)] {
            let d = denoise.with(preset: preset)
            #expect(d.settings.autoStop?.criterion == .heldOutPixels && d.settings.autoStop?.patience == patience)
            #expect(d.settings.autoStop?.minIterations == 50 && d.settings.autoStop?.heldOutTolerance == 0)
            #expect(d.settings.autoStop?.lossFloor == nil && d.fitSettings.autoStop?.lossFloor == nil)
            #expect(d.settings.iterations == cap && d.settings.learningRate == 0.02)
            #expect(d.settings.inputLearningRate == 0.03 && d.settings.totalVariationWeight == 0.2)
            #expect(d.settings.expWeight == 0.9 && d.settings.regNoiseStd == jitter && d.settings.backtracking == nil)
            #expect(d.network.upsampleMode == denoise.network.upsampleMode && d.network.channelsSkip == denoise.network.channelsSkip)
            let j = jpeg.with(preset: preset)
            #expect(j.settings.autoStop?.criterion == .outputVariance && j.settings.inputLearningRate == nil)
            #expect(j.network.upsampleMode == jpeg.network.upsampleMode && j.network.channelsSkip == jpeg.network.channelsSkip)
        }
        #expect(denoise.with(preset: .balanced).network.channelsDown == Array(repeating: 32, count: 5))
        let fast = denoise.with(preset: .fast).network
        #expect(fast.channelsDown == [16, 32, 32, 32, 32] && fast.channelsUp == [16, 32, 32, 32, 32])
        let reference = denoise.with(preset: .reference)
        #expect(reference.settings.autoStop == AutoStop() && reference.fitSettings.autoStop?.lossFloor != nil)
        #expect(reference.settings.inputLearningRate == nil && reference.settings.totalVariationWeight == 0)
    }

    /// The rule a fit runs by: held-out only where the task holds pixels out, whatever the
    /// settings ask; the variance rule elsewhere; none with auto stop off.
    @Test func autoStopRuleFollowsTheTask() throws {
        var denoise = DenoisingTask.reference(image: Self.image).with(preset: .balanced)
        #expect(denoise.autoStopRule == .heldOutPixels)
        var jpeg = DenoisingTask.jpegReference(image: Self.image).with(preset: .balanced)
        jpeg.settings.autoStop?.criterion = .heldOutPixels
        #expect(jpeg.autoStopRule == .outputVariance)
        var hole = try InpaintingTask.reference(image: Self.image, mask: Tensor(Shape(1, 32, 32)), setup: .text).with(preset: .fast)
        hole.settings.autoStop?.criterion = .heldOutPixels
        #expect(hole.autoStopRule == .outputVariance)
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
