#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Measurements for evaluating results against a ground truth (tests, the
/// CLI's --ground-truth, the docs); the fits themselves never use these.
public enum Evaluation {
    /// The luma the paper's super-resolution tables use: BT.601 Y of RGB in [0, 1]
    /// (as OpenCV's RGB→YCrCb), scaled to the studio range, Y·219/255 + 16/255.
    /// A gray image is its own Y.
    public static func luma(_ x: Tensor) -> Tensor {
        let y = Tensor(channels: 1, height: x.height, width: x.width)
        for i in 0..<x.plane {
            let v: Float = x.channels >= 3
                ? 0.299 * x.data[i] + 0.587 * x.data[x.plane + i] + 0.114 * x.data[2 * x.plane + i]
                : x.data[i]
            y.data[i] = v * 219 / 255 + 16 / 255
        }
        return y
    }

    /// Super-resolution PSNR as the paper's evaluation script: on Y, with `shave`
    /// pixels cut from every border (4 in the paper). Both images are clamped to [0, 1].
    public static func superResolutionPSNR(_ truth: Tensor, _ result: Tensor, shave: Int = 4) -> Double {
        precondition(truth.shape == result.shape)
        func prepared(_ t: Tensor) -> Tensor {
            let c = clamped(t)
            let y = luma(c)
            guard shave > 0, y.width > 2 * shave, y.height > 2 * shave else { return y }
            return y.cropped(x: shave, y: shave, width: y.width - 2 * shave, height: y.height - 2 * shave)
        }
        return PSNR.compute(prepared(truth), prepared(result))
    }

    /// PSNR over the pixels where `region` (1×H×W) is 1 only, all channels: the
    /// mean squared error is taken over those pixels, not over the whole image.
    public static func psnr(_ a: Tensor, _ b: Tensor, inside region: Tensor) -> Double {
        precondition(a.shape == b.shape && region.plane == a.plane)
        var se = 0.0, n = 0.0
        for i in 0..<a.plane where region.data[i] > 0.5 {
            for c in 0..<a.channels {
                let d = Double(a.data[c * a.plane + i] - b.data[c * a.plane + i])
                se += d * d
            }
            n += Double(a.channels)
        }
        guard n > 0 else { return .nan }
        return se > 0 ? 10 * log10(n / se) : .infinity
    }

    /// A copy clamped to [0, 1] (what an 8-bit file would hold, before rounding).
    public static func clamped(_ x: Tensor) -> Tensor {
        let out = Tensor(x.shape)
        for i in 0..<x.count { out.data[i] = min(max(x.data[i], 0), 1) }
        return out
    }

    /// Bicubic upsampling by an integer factor (Keys' kernel, a = −0.5, pixel
    /// centres aligned, edges replicated, as PyTorch's bicubic with
    /// align_corners=False and MATLAB's imresize when enlarging). The baseline
    /// super-resolution is compared with; not clamped.
    public static func bicubicUpsample(_ x: Tensor, factor: Int) -> Tensor {
        precondition(factor >= 1)
        func taps(_ n: Int, _ outN: Int) -> [(Int, [Float])] {
            (0..<outN).map { o in
                let src = (Double(o) + 0.5) / Double(factor) - 0.5
                let i0 = Int(floor(src)), t = src - floor(src)
                let w = [cubic(t + 1), cubic(t), cubic(1 - t), cubic(2 - t)].map(Float.init)
                return (i0 - 1, w)
            }
        }
        func cubic(_ d: Double) -> Double {
            let a = -0.5, x = abs(d)
            if x <= 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
            return 0
        }
        let oh = x.height * factor, ow = x.width * factor
        let rows = taps(x.height, oh), cols = taps(x.width, ow)
        let mid = Tensor(channels: x.channels, height: x.height, width: ow)
        for c in 0..<x.channels {
            for y in 0..<x.height {
                for (o, (start, w)) in cols.enumerated() {
                    var s: Float = 0
                    for k in 0..<4 { s += w[k] * x[c, y, min(max(start + k, 0), x.width - 1)] }
                    mid[c, y, o] = s
                }
            }
        }
        let out = Tensor(channels: x.channels, height: oh, width: ow)
        for c in 0..<x.channels {
            for (o, (start, w)) in rows.enumerated() {
                for xx in 0..<ow {
                    var s: Float = 0
                    for k in 0..<4 { s += w[k] * mid[c, min(max(start + k, 0), x.height - 1), xx] }
                    out[c, o, xx] = s
                }
            }
        }
        return out
    }

    /// Blockiness of 8×8 JPEG blocks: the mean absolute step across block
    /// boundaries divided by the mean absolute step between neighbours inside
    /// blocks (horizontal and vertical). Around 1 for an image without block
    /// artefacts; larger when the block grid shows.
    public static func blockiness(_ x: Tensor) -> Double {
        var across = 0.0, inside = 0.0, nAcross = 0.0, nInside = 0.0
        for c in 0..<x.channels {
            for y in 0..<x.height {
                for xx in 1..<max(x.width, 1) {
                    let d = Double(abs(x[c, y, xx] - x[c, y, xx - 1]))
                    if xx % 8 == 0 { across += d; nAcross += 1 } else { inside += d; nInside += 1 }
                }
            }
            for y in 1..<max(x.height, 1) {
                for xx in 0..<x.width {
                    let d = Double(abs(x[c, y, xx] - x[c, y - 1, xx]))
                    if y % 8 == 0 { across += d; nAcross += 1 } else { inside += d; nInside += 1 }
                }
            }
        }
        guard nAcross > 0, nInside > 0, inside > 0 else { return 1 }
        return (across / nAcross) / (inside / nInside)
    }
}
