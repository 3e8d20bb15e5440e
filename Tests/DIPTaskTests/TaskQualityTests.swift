import DIPEngine
import Testing

/// Each application on a crop of its demo image, with the reference network and
/// settings but far fewer iterations, against a baseline that a broken fit cannot beat.
///
/// Seeded fits are not bit-identical across CPUs: matrix kernels for different
/// instruction sets sum in different orders, and a few hundred steps amplify that.
/// So each threshold was set from runs on two kernel paths (OpenBLAS's AVX2 "Haswell"
/// kernels and its SSE3 "Prescott" ones, chosen with OPENBLAS_CORETYPE on an AMD EPYC)
/// and three seeds, below the lowest value seen, with the figures in the comments
/// (path/seed: value). The engine's own AVX2 kernels, which replaced OpenBLAS since,
/// gave with seed 1: SR 27.15, text inpainting 30.97, restoration 33.01, flash 23.94 dB,
/// de-JPEG blockiness 1.053 and 26.83 dB against the input.
@Suite("Task quality on the demo images")
struct TaskQualityTests {
    @Test func superResolutionBeatsBicubic() throws {
        let hr = try Demo.image("sr/zebra_GT.png").window(64, 64)
        let low = try SuperResolutionTask.downscale(hr, factor: 4)
        var task = try SuperResolutionTask.reference(lowResolution: low, factor: 4)
        task.settings.iterations = 200; task.settings.seed = 1; task.settings.threads = 2
        let out = try task.run(cancel: nil, onProgress: nil, onSnapshot: nil).image
        let dip = Evaluation.superResolutionPSNR(hr, out)
        let bicubic = Evaluation.superResolutionPSNR(hr, Evaluation.bicubicUpsample(low, factor: 4))
        print("SR x4 zebra 64x64, 200 it: bicubic \(bicubic) dB, DIP \(dip) dB")
        // Bicubic 24.63 dB; DIP (Y, 4 px shaved) AVX2/1 26.96, AVX2/2 26.90, AVX2/3 25.96,
        // SSE3/1 27.04, SSE3/2 26.32, SSE3/3 26.52 dB: at least 1.33 dB above bicubic.
        #expect(dip > bicubic + 0.75, "bicubic \(bicubic) dB, DIP \(dip) dB")
    }

    /// The presets' fitted-input fit, as the service runs it by default, on the same window: its
    /// fixed count must leave the result well above bicubic.
    @Test(arguments: [Preset.balanced, .fast])
    func superResolutionPresetsBeatBicubic(preset: Preset) throws {
        let hr = try Demo.image("sr/zebra_GT.png").window(64, 64)
        let low = try SuperResolutionTask.downscale(hr, factor: 4)
        var task = try SuperResolutionTask.reference(lowResolution: low, factor: 4).with(preset: preset)
        task.settings.seed = 1; task.settings.threads = 2
        let out = try task.run(cancel: nil, onProgress: nil, onSnapshot: nil).image
        let dip = Evaluation.superResolutionPSNR(hr, out)
        let bicubic = Evaluation.superResolutionPSNR(hr, Evaluation.bicubicUpsample(low, factor: 4))
        print("SR x4 zebra 64x64, \(preset), \(task.settings.iterations) it: bicubic \(bicubic) dB, DIP \(dip) dB")
        // Bicubic 24.63 dB; seeds 1–3, AVX-512: balanced 28.64, 28.36, 28.78 dB, fast 28.03, 28.64,
        // 28.36 dB (the reference's fit above, 200 steps: 26.73 dB).
        #expect(dip > bicubic + 2, "bicubic \(bicubic) dB, DIP \(dip) dB")
    }

    /// Text inpainting on the window of kate with the most text (13 % holes). The large-hole
    /// setup is no test at this size: its 64×64 window is half hole, and 200 steps fill it
    /// worse than the known pixels' mean colour does (10.6–14.0 dB against 14.3 dB).
    @Test func inpaintingFillsTheText() throws {
        let image = try Demo.image("inpainting/kate.png").window(64, 64, x: 304, y: 48)
        let mask = try Demo.mask("inpainting/kate_mask.png").window(64, 64, x: 304, y: 48)
        var task = try InpaintingTask.reference(image: image, mask: mask, setup: .text)
        task.settings.iterations = 200; task.settings.seed = 1; task.settings.threads = 2
        let out = try task.run(cancel: nil, onProgress: nil, onSnapshot: nil).image
        let holes = Mask.holes(mask)
        let masked = Evaluation.psnr(image, Mask.apply(mask, to: image), inside: holes)
        let meanFilled = Evaluation.psnr(image, Self.fillWithKnownMean(image, mask), inside: holes)
        let filled = Evaluation.psnr(image, out, inside: holes)
        print("inpainting kate text 64x64, 200 it: holes masked \(masked) dB, mean fill \(meanFilled) dB, inpainted \(filled) dB")
        // Inside the holes: masked input 8.17 dB, the known pixels' mean 17.86 dB; inpainted
        // AVX2/1 31.14, AVX2/2 30.77, AVX2/3 31.42, SSE3/1 31.47, SSE3/2 31.34, SSE3/3 30.98 dB.
        #expect(filled > masked + 15 && filled > meanFilled + 8, "masked \(masked) dB, mean \(meanFilled) dB, inpainted \(filled) dB")
    }

    /// The presets' fitted-input fit on the same window, stopped by the error at held-out known
    /// pixels: it must fill the text about as well as the reference's fit does in 200 steps.
    @Test(arguments: [Preset.balanced, .fast])
    func inpaintingPresetsFillTheText(preset: Preset) throws {
        let image = try Demo.image("inpainting/kate.png").window(64, 64, x: 304, y: 48)
        let mask = try Demo.mask("inpainting/kate_mask.png").window(64, 64, x: 304, y: 48)
        var task = try InpaintingTask.reference(image: image, mask: mask, setup: .text).with(preset: preset)
        task.settings.seed = 1; task.settings.threads = 2
        let result = try task.run(cancel: nil, onProgress: nil, onSnapshot: nil)
        let holes = Mask.holes(mask)
        let meanFilled = Evaluation.psnr(image, Self.fillWithKnownMean(image, mask), inside: holes)
        let filled = Evaluation.psnr(image, result.image, inside: holes)
        print("inpainting kate text 64x64, \(preset): stopped at \(result.iterations), kept \(result.bestIteration.map(String.init) ?? "-"): mean fill \(meanFilled) dB, inpainted \(filled) dB")
        // Mean fill 17.86 dB; seeds 1–3, AVX-512: balanced 31.68, 31.17, 31.01 dB (stopped at 124,
        // 135, 137), fast 31.15, 31.03, 30.93 dB (103, 91, 122).
        #expect(result.stopReason == .autoStop)
        #expect(filled > meanFilled + 11, "mean \(meanFilled) dB, inpainted \(filled) dB")
    }

    /// The holes filled with each channel's mean over the known pixels: the simplest fill.
    static func fillWithKnownMean(_ image: Tensor, _ mask: Tensor) -> Tensor {
        let out = Mask.apply(mask, to: image)
        for c in 0..<image.channels {
            var sum = 0.0, count = 0.0
            for y in 0..<image.height { for x in 0..<image.width where mask[0, y, x] > 0.5 { sum += Double(image[c, y, x]); count += 1 } }
            for y in 0..<image.height { for x in 0..<image.width where mask[0, y, x] <= 0.5 { out[c, y, x] = Float(sum / count) } }
        }
        return out
    }

    @Test func restorationBeatsTheMaskedImage() throws {
        let image = try Demo.image("restoration/barbara.png").window(64, 64)
        let mask = RestorationTask.bernoulliMask(height: 64, width: 64, keep: 0.5, seed: 1)
        var task = try RestorationTask.reference(image: image, mask: mask)
        #expect(task.network.outputChannels == 1)
        task.settings.iterations = 120; task.settings.seed = 1; task.settings.threads = 2
        let out = try task.run(cancel: nil, onProgress: nil, onSnapshot: nil).image
        let masked = PSNR.compute(image, Mask.apply(mask, to: image))
        let restored = PSNR.compute(image, out)
        print("restoration barbara 64x64 50%, 120 it: masked \(masked) dB, restored \(restored) dB")
        // Masked input 7.51 dB; restored AVX2/1 32.99, AVX2/2 32.72, AVX2/3 31.51,
        // SSE3/1 33.04, SSE3/2 32.65, SSE3/3 32.60 dB.
        #expect(restored > 29, "masked \(masked) dB, restored \(restored) dB")
    }

    /// The reference's learning rate of 0.1 is too large for a 64×64 crop: its network
    /// collapses to a constant output (loss stuck at 0.0417, 13.79 dB) for some seeds on
    /// either path (AVX2 seeds 3 and 5 of 5, SSE3 seed 2 of 3). At 0.01 it never did.
    @Test func flashOutputIsCloserToTheNoFlashImage() throws {
        let noFlash = try Demo.image("flash_no_flash/cave01_01_noflash.jpg").window(64, 64)
        let flash = try Demo.image("flash_no_flash/cave01_00_flash.jpg").window(64, 64)
        var task = try FlashTask.reference(noFlash: noFlash, flash: flash)
        task.settings.iterations = 150; task.settings.learningRate = 0.01; task.settings.seed = 1; task.settings.threads = 2
        let out = try task.run(cancel: nil, onProgress: nil, onSnapshot: nil).image
        let before = PSNR.compute(noFlash, flash), after = PSNR.compute(noFlash, out)
        print("flash cave 64x64, 150 it at lr 0.01: flash vs no-flash \(before) dB, result vs no-flash \(after) dB")
        // Against the no-flash image: the flash image 12.43 dB; the result AVX2/1 23.69,
        // AVX2/2 23.86, AVX2/3 23.80, SSE3/1 23.71, SSE3/2 23.79, SSE3/3 23.89 dB.
        #expect(after > before + 8, "flash \(before) dB, result \(after) dB")
    }

    @Test func jpegOutputHasWeakerBlocks() throws {
        // A window on the 8x8 grid of the JPEG, so block edges stay at multiples of 8.
        let image = try Demo.image("denoising/snail.jpg").window(128, 96, x: 136, y: 80)
        var task = DenoisingTask.jpegReference(image: image)
        task.settings.iterations = 400; task.settings.seed = 1; task.settings.threads = 2
        var losses: [Float] = []
        let out = try task.run(cancel: nil, onProgress: { losses.append($0.loss) }, onSnapshot: nil).image
        let before = Evaluation.blockiness(image), after = Evaluation.blockiness(out)
        let fidelity = PSNR.compute(image, out)
        print("jpeg snail 128x96, 400 it: blockiness input \(before), output \(after); PSNR vs input \(fidelity) dB; loss \(losses.first!) → \(losses.last!)")
        // Blockiness 1.662 → AVX2/1 1.101, AVX2/2 1.059, AVX2/3 1.062, SSE3/1 1.006, SSE3/2 1.016,
        // SSE3/3 1.022; PSNR against the JPEG 26.84, 25.79, 26.24, 25.52, 26.44, 25.58 dB; the
        // loss falls from 0.119–0.141 to 0.0018–0.0026 (at least ×45).
        #expect(after < 1.3 && after < before, "blockiness \(before) → \(after)")
        #expect(fidelity > 24, "PSNR against the input \(fidelity) dB")
        #expect(losses.last! < losses.first! / 20, "loss \(losses.first!) → \(losses.last!)")
    }
}
