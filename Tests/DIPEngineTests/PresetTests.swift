import Testing
@testable import DIPEngine

/// What each preset does to a task's reference network and settings.
@Suite("Presets")
struct PresetTests {
    static let image = Tensor(Shape(3, 32, 32))

    @Test func referenceIsTheNotebookUnchanged() {
        let plain = DenoisingTask.reference(image: Self.image)
        let preset = plain.with(preset: .reference)
        #expect(preset.network == plain.network)
        #expect(preset.settings.learningRate == plain.settings.learningRate && preset.settings.iterations == plain.settings.iterations)
        #expect(preset.settings.autoStop != nil)
    }

    @Test func balancedAndFastNarrowEveryLevel() throws {
        for plain in [DenoisingTask.reference(image: Self.image), DenoisingTask.jpegReference(image: Self.image)] {
            for preset in [Preset.balanced, .fast] {
                let task = plain.with(preset: preset)
                #expect(task.network.channelsDown == plain.network.channelsDown.map { min($0, 32) }, "\(preset)")
                #expect(task.network.channelsUp == plain.network.channelsUp.map { min($0, 32) }, "\(preset)")
                #expect(task.network.channelsDown.max() == 32)
                #expect(task.settings.learningRate == plain.settings.learningRate * 2)
                try task.network.validate()
            }
            #expect(plain.with(preset: .balanced).settings.iterations == plain.settings.iterations)
            #expect(plain.with(preset: .fast).settings.iterations == Int((Double(plain.settings.iterations) * 0.4).rounded()))
        }
    }

    /// Denoising additive noise holds pixels out: both presets stop on the held-out error, and
    /// `fast` fits the network that gets to its best sooner (nearest upsampling, 16-channel skips)
    /// while `balanced` keeps the reference's upsampling and skips. JPEG artefacts are not white
    /// noise: the reference's upsampling and skips, and the variance rule.
    @Test func denoisingTakesTheHeldOutRule() throws {
        let denoise = DenoisingTask.reference(image: Self.image), jpeg = DenoisingTask.jpegReference(image: Self.image)
        for (preset, patience) in [(Preset.balanced, 100), (.fast, 50)] {
            let d = denoise.with(preset: preset)
            #expect(d.settings.autoStop?.criterion == .heldOutPixels && d.settings.autoStop?.patience == patience)
            #expect(d.settings.autoStop?.lossFloor == nil && d.fitSettings.autoStop?.lossFloor == nil)
            let j = jpeg.with(preset: preset)
            #expect(j.settings.autoStop?.criterion == .outputVariance)
            #expect(j.network.upsampleMode == jpeg.network.upsampleMode && j.network.channelsSkip == jpeg.network.channelsSkip)
        }
        let fast = denoise.with(preset: .fast), balanced = denoise.with(preset: .balanced)
        #expect(fast.network.upsampleMode == [.nearest])
        #expect(fast.network.channelsSkip == Array(repeating: 16, count: 5), "the reference's 4 skip channels widened")
        #expect(balanced.network.upsampleMode == denoise.network.upsampleMode && balanced.network.channelsSkip == denoise.network.channelsSkip)
        let reference = denoise.with(preset: .reference)
        #expect(reference.settings.autoStop == AutoStop() && reference.fitSettings.autoStop?.lossFloor != nil)
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
