// The quality guard of the bf16 products: the same denoising fit (the `fast` preset with its
// held-out auto stop, σ = 25 noise from a fixed seed) in fp32 and in bf16 on centre crops of
// the given images, printing each fit's PSNR against the clean crop, where auto stop put the
// result, and the seconds per iteration. Images are binary PPM (P6, maxval 255 or 65535);
// `convert image.png ppm:-` or `pngtopnm` makes one.
import DIPEngine
import Foundation

/// A binary PPM as a 3-channel tensor in [0, 1].
func readPPM(_ path: String) -> Tensor? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    let bytes = [UInt8](data)
    var i = 0, fields: [Int] = []
    func skipSpace() {
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "#") { while i < bytes.count && bytes[i] != 10 { i += 1 } }
            else if bytes[i] == 32 || bytes[i] == 9 || bytes[i] == 10 || bytes[i] == 13 { i += 1 }
            else { break }
        }
    }
    guard bytes.count > 2, bytes[0] == UInt8(ascii: "P"), bytes[1] == UInt8(ascii: "6") else { return nil }
    i = 2
    while fields.count < 3 {
        skipSpace()
        var v = 0, digits = 0
        while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 { v = 10 * v + Int(bytes[i] - 48); i += 1; digits += 1 }
        guard digits > 0 else { return nil }
        fields.append(v)
    }
    i += 1     // the single whitespace before the samples
    let (w, h, maxval) = (fields[0], fields[1], fields[2])
    let wide = maxval > 255, sampleBytes = wide ? 2 : 1
    guard w > 0, h > 0, bytes.count >= i + w * h * 3 * sampleBytes else { return nil }
    let t = Tensor(Shape(3, h, w))
    for y in 0..<h {
        for x in 0..<w {
            for c in 0..<3 {
                let o = i + ((y * w + x) * 3 + c) * sampleBytes
                let v = wide ? Int(bytes[o]) << 8 | Int(bytes[o + 1]) : Int(bytes[o])
                t[c, y, x] = Float(v) / Float(maxval)
            }
        }
    }
    return t
}

func centreCrop(_ t: Tensor, _ size: Int) -> Tensor {
    let s = min(size, t.height, t.width), y0 = (t.height - s) / 2, x0 = (t.width - s) / 2
    let out = Tensor(Shape(t.channels, s, s))
    for c in 0..<t.channels { for y in 0..<s { for x in 0..<s { out[c, y, x] = t[c, y0 + y, x0 + x] } } }
    return out
}

func runQualityGuard(_ paths: [String], crop: Int, threads: Int, precisions: [Precision]) {
    print("Quality guard: denoising (σ = 25, fixed noise seed), `fast` preset with its auto stop, \(crop)² centre crops,")
    print("\(threads) threads; the same fit in each precision. PSNR of the result against the clean crop.\n")
    print("image                    precision   PSNR dB   stop at / ran   s/it    Δ dB against \(precisions[0])")
    var deltas: [Double] = []
    for path in paths {
        guard let image = readPPM(path) else { print("\(path): not a binary PPM (P6)"); continue }
        let clean = centreCrop(image, crop)
        let noisy = Tensor(clean.shape)
        var rng = RandomSource(seed: 25)
        rng.fillNormal(noisy.data, count: noisy.count, scale: 25.0 / 255)
        for i in 0..<noisy.count { noisy.data[i] = min(1, max(0, clean.data[i] + noisy.data[i])) }
        var base: Double? = nil
        for precision in precisions {
            var task = DenoisingTask.reference(image: noisy).with(preset: .fast)
            task.settings.threads = threads
            task.settings.precision = precision
            let r = try! task.run()
            let psnr = PSNR.compute(r.image, clean)
            let delta = base.map { psnr - $0 } ?? 0
            if base == nil { base = psnr } else { deltas.append(delta) }
            let name = URL(fileURLWithPath: path).lastPathComponent
            let stop = (r.bestIteration.map { "\($0)" } ?? "-")
            print(name.padding(toLength: 24, withPad: " ", startingAt: 0) + " "
                  + precision.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
                  + String(format: " %8.3f   %6d / %-5d  %6.3f   %+.3f", psnr, Int(stop) ?? -1, r.iterations,
                           r.seconds / Double(max(1, r.iterations)), delta))
        }
    }
    if !deltas.isEmpty {
        let mean = deltas.reduce(0, +) / Double(deltas.count), worst = deltas.map(abs).max()!
        print(String(format: "\nΔ PSNR against %@: mean %+.3f dB, largest |Δ| %.3f dB over %d images", precisions[0].rawValue,
                     mean, worst, deltas.count))
    }
}
