#if canImport(Glibc)
import Glibc
#endif
import DIPEngine
import Testing

/// Input checks, reference settings, sizes and the helpers around the tasks; no long fits.
@Suite("Task inputs and settings")
struct TaskInputTests {
    static func ramp(_ c: Int, _ h: Int, _ w: Int) -> Tensor {
        let t = Tensor(channels: c, height: h, width: w)
        for k in 0..<c { for y in 0..<h { for x in 0..<w { t[k, y, x] = 0.1 + 0.8 * Float(x + y + k) / Float(w + h + c) } } }
        return t
    }

    static func quick<T: FittingTask>(_ task: T) throws -> (FitResult, [Shape]) {
        var t = task
        t.settings.iterations = 1; t.settings.threads = 2
        var shapes: [Shape] = []
        let r = try t.run(cancel: nil, onProgress: { shapes.append($0.average.shape) }, onSnapshot: nil)
        return (r, shapes)
    }

    @Test func presetsHaveTheReferenceParameterCounts() throws {
        // Counts from the spec's table (own count of the reference's models).
        #expect(try SkipNetwork(.inpaintingText()).parameterCount == 3_002_627)
        #expect(try SkipNetwork(.inpaintingLargeHole()).parameterCount == 2_157_955)
        #expect(try SkipNetwork(.inpaintingRegion()).parameterCount == 2_996_467)
        #expect(try SkipNetwork(.restorationSparse()).parameterCount == 1_027_379)
        #expect(try SkipNetwork(.flash()).parameterCount == 2_184_307)
        let gray = try RestorationTask.reference(image: Self.ramp(1, 8, 8), mask: Tensor(channels: 1, height: 8, width: 8))
        #expect(try SkipNetwork(gray.network).parameterCount == 2_217_573)
        let sr = try SuperResolutionTask.reference(lowResolution: Self.ramp(3, 8, 8), factor: 4)
        #expect(try SkipNetwork(sr.network).parameterCount == 2_217_831)
    }

    @Test func referenceSettings() throws {
        let img = Self.ramp(3, 16, 16), mask = Tensor(channels: 1, height: 16, width: 16)
        let x4 = try SuperResolutionTask.reference(lowResolution: img, factor: 4).settings
        let x8 = try SuperResolutionTask.reference(lowResolution: img, factor: 8).settings
        #expect(x4.iterations == 2000 && x4.regNoiseStd == 0.03 && x4.learningRate == 0.01 && x4.expWeight == nil && x4.backtracking == nil)
        #expect(x8.iterations == 4000 && x8.regNoiseStd == 0.05)
        let text = try InpaintingTask.reference(image: img, mask: mask, setup: .text)
        let hole = try InpaintingTask.reference(image: img, mask: mask, setup: .largeHole)
        let region = try InpaintingTask.reference(image: img, mask: mask, setup: .region)
        #expect(text.settings.iterations == 6001 && text.input == .noise(channels: 32) && text.settings.regNoiseStd == 0.03)
        #expect(hole.settings.iterations == 5001 && hole.input == .meshgrid)
        #expect(region.settings.iterations == 3001 && region.input == .noise(channels: 1) && region.settings.regNoiseStd == 0)
        #expect([text, hole, region].allSatisfy { $0.settings.expWeight == nil && $0.settings.backtracking == nil })
        let gray = try RestorationTask.reference(image: Self.ramp(1, 16, 16), mask: mask).settings
        let colour = try RestorationTask.reference(image: img, mask: mask)
        #expect(gray.learningRate == 0.001 && gray.iterations == 11000 && gray.regNoiseStd == 0.03)
        #expect(gray.backtracking == FitSettings.Backtracking(period: 50, onlyAtPeriod: true, dropDB: 5))
        #expect(colour.settings.learningRate == 0.01 && colour.settings.iterations == 1000 && colour.settings.regNoiseStd == 0)
        #expect(colour.network.downsampleMode == [.avg])
        let flash = try FlashTask.reference(noFlash: img, flash: img)
        #expect(flash.settings.learningRate == 0.1 && flash.settings.iterations == 601 && flash.settings.regNoiseStd == 0)
        #expect(flash.network.upsampleMode == [.nearest, .nearest, .bilinear, .bilinear, .bilinear])
        let jpeg = DenoisingTask.jpegReference(image: img)
        #expect(jpeg.settings.iterations == 2400 && jpeg.settings.expWeight == 0.99 && jpeg.network.channelsSkip == [0, 0, 0, 4, 4])
    }

    @Test func badInputsAreRefused() throws {
        let img = Self.ramp(3, 32, 32)
        #expect(throws: TaskInputError.invalid("the super-resolution factor must be 2, 4 or 8, not 3")) {
            try SuperResolutionTask.reference(lowResolution: img, factor: 3)
        }
        #expect(throws: TaskInputError.sizeMismatch(what: "mask", expected: "32×32", got: "32×16")) {
            try InpaintingTask.reference(image: img, mask: Tensor(channels: 1, height: 16, width: 32), setup: .text)
        }
        #expect(throws: TaskInputError.sizeMismatch(what: "mask", expected: "32×32", got: "31×32")) {
            try RestorationTask.reference(image: img, mask: Tensor(channels: 1, height: 32, width: 31))
        }
        #expect(throws: TaskInputError.self) {
            try RestorationTask.reference(image: img, mask: Tensor(channels: 3, height: 32, width: 32))
        }
        #expect(throws: TaskInputError.sizeMismatch(what: "flash image", expected: "32×32", got: "32×30")) {
            try FlashTask.reference(noFlash: img, flash: Self.ramp(3, 30, 32))
        }
        var wrong = try InpaintingTask.reference(image: img, mask: Tensor(channels: 1, height: 32, width: 32), setup: .region)
        wrong.network.outputChannels = 1
        #expect(throws: TaskInputError.channelMismatch(image: 3, network: 1)) { try Self.quick(wrong) }
    }

    @Test(arguments: [(37, 23, 2), (13, 7, 4), (9, 5, 8), (16, 8, 4), (1, 1, 2)])
    func superResolutionKeepsOddSizes(width: Int, height: Int, factor: Int) throws {
        let task = try SuperResolutionTask.reference(lowResolution: Self.ramp(3, height, width), factor: factor)
        let (r, shapes) = try Self.quick(task)
        let want = Shape(3, height * factor, width * factor)
        #expect(task.outputShape == want)
        #expect(r.image.shape == want && r.lastOutput.shape == want)
        #expect(shapes == [want])
    }

    @Test func masksKeepOddSizesAndGray() throws {
        let gray = Self.ramp(1, 45, 70)
        let mask = RestorationTask.bernoulliMask(height: 45, width: 70, keep: 0.5, seed: 2)
        var inpaint = try InpaintingTask.reference(image: gray, mask: mask, setup: .region)
        inpaint.settings.seed = 1
        #expect(try Self.quick(inpaint).0.image.shape == Shape(1, 45, 70))
        let restore = try RestorationTask.reference(image: Self.ramp(3, 45, 70), mask: mask)
        #expect(try Self.quick(restore).0.image.shape == Shape(3, 45, 70))
        let flash = try FlashTask.reference(noFlash: Self.ramp(3, 33, 40), flash: Self.ramp(1, 33, 40))
        #expect(flash.network.inputChannels == 1)
        #expect(try Self.quick(flash).0.image.shape == Shape(3, 33, 40))
    }

    @Test func bernoulliMaskKeepsTheFractionAndRepeats() {
        for keep in [0.02, 0.5, 0.9] {
            let m = RestorationTask.bernoulliMask(height: 256, width: 256, keep: keep, seed: 7)
            #expect(abs(Mask.knownFraction(m) - keep) < 0.01, "keep \(keep): \(Mask.knownFraction(m))")
            #expect(m.values.allSatisfy { $0 == 0 || $0 == 1 })
        }
        let a = RestorationTask.bernoulliMask(height: 64, width: 48, keep: 0.5, seed: 3)
        let b = RestorationTask.bernoulliMask(height: 64, width: 48, keep: 0.5, seed: 3)
        let c = RestorationTask.bernoulliMask(height: 64, width: 48, keep: 0.5, seed: 4)
        #expect(a.values == b.values)
        #expect(a.values != c.values)
        #expect(a.shape == Shape(1, 64, 48))
    }

    @Test func maskFromImageSamples() throws {
        // Gray: threshold at one half.
        let g = try Mask.fromImageSamples([0, 1, 0.49, 0.5], width: 2, height: 2, channels: 1)
        #expect(g.values == [0, 1, 0, 1])
        // RGB: the mean of the three channels; RGBA: alpha ignored.
        let rgb = try Mask.fromImageSamples([1, 1, 1, 0, 0, 0, 1, 0, 0, 1, 1, 0], width: 4, height: 1, channels: 3)
        #expect(rgb.values == [1, 0, 0, 1])
        let rgba = try Mask.fromImageSamples([1, 1, 1, 0, 0, 0, 0, 1], width: 2, height: 1, channels: 4)
        #expect(rgba.values == [1, 0])
        #expect(throws: TaskInputError.self) { try Mask.fromImageSamples([1, 1, 1], width: 2, height: 2, channels: 1) }
        #expect(throws: TaskInputError.self) { try Mask.fromImageSamples([Float](repeating: 1, count: 20), width: 2, height: 2, channels: 5) }
    }

    @Test func evaluationHelpers() throws {
        // Bicubic keeps constants and reproduces a linear ramp away from the edges.
        let flat = Tensor(channels: 1, height: 6, width: 6); flat.fill(0.3)
        #expect(Evaluation.bicubicUpsample(flat, factor: 4).values.allSatisfy { abs($0 - 0.3) < 1e-6 })
        let ramp = Tensor(channels: 1, height: 1, width: 8)
        for x in 0..<8 { ramp[0, 0, x] = Float(x) / 10 }
        let up = Evaluation.bicubicUpsample(ramp, factor: 2)
        for o in 4..<12 { #expect(abs(up[0, 0, o] - (Float(o) + 0.5) / 20 + 0.05) < 1e-5) }
        // Y of white is 235/255; the shave removes the border.
        let white = Tensor(channels: 3, height: 2, width: 2); white.fill(1)
        #expect(Evaluation.luma(white).values.allSatisfy { abs($0 - 235 / 255) < 1e-6 })
        let a = Self.ramp(3, 16, 16), b = a.clone()
        b[0, 0, 0] += 0.5                                     // only in the shaved border
        #expect(Evaluation.superResolutionPSNR(a, b, shave: 4) == .infinity)
        #expect(Evaluation.superResolutionPSNR(a, b, shave: 0).isFinite)
        // PSNR inside a region is over that region only.
        let region = Tensor(channels: 1, height: 16, width: 16); region[0, 0, 0] = 1
        #expect(abs(Evaluation.psnr(a, b, inside: region) - 10 * log10(3 / 0.25)) < 1e-3)
        // Downscaling for SR evaluation: size, 8-bit values, refused when not divisible.
        let low = try SuperResolutionTask.downscale(Self.ramp(3, 48, 64), factor: 4)
        #expect(low.shape == Shape(3, 12, 16))
        #expect(low.values.allSatisfy { abs($0 * 255 - ($0 * 255).rounded()) < 1e-3 })
        #expect(throws: TaskInputError.self) { try SuperResolutionTask.downscale(Self.ramp(3, 50, 64), factor: 4) }
    }
}
