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
        let plain = DenoisingTask.reference(image: Self.image)
        for (preset, width) in [(Preset.balanced, 32), (.fast, 16)] {
            let task = plain.with(preset: preset)
            #expect(task.network.channelsDown == Array(repeating: width, count: 5), "\(preset)")
            #expect(task.network.channelsUp == Array(repeating: width, count: 5), "\(preset)")
            #expect(task.network.channelsSkip == plain.network.channelsSkip, "\(preset): 4 skip channels stay 4")
            #expect(task.network.upsampleMode == plain.network.upsampleMode)
            #expect(task.settings.learningRate == plain.settings.learningRate * preset.scaling.learningRateFactor)
            try task.network.validate()
        }
        #expect(plain.with(preset: .balanced).settings.iterations == plain.settings.iterations)
        #expect(plain.with(preset: .fast).settings.iterations == plain.settings.iterations / 2)
    }

    /// Wide skips are capped like every level; a network without skips keeps none.
    @Test func skipsAreCappedLikeEveryLevel() throws {
        let mask = Tensor(Shape(1, 32, 32))
        let hole = try InpaintingTask.reference(image: Self.image, mask: mask, setup: .largeHole).with(preset: .balanced)
        #expect(hole.network.channelsSkip.allSatisfy { $0 == 0 })
        let text = try InpaintingTask.reference(image: Self.image, mask: mask, setup: .text).with(preset: .fast)
        #expect(text.network.channelsSkip == Array(repeating: 16, count: 5))
    }
}
