#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Resampling as PIL's `Image.resize` does it, in float: separable, each output
/// pixel a normalised weighted sum over a window centred on its position; when
/// shrinking, the filter is stretched by the scale factor (antialiasing).
public enum ImageResize {
    public enum Filter: Sendable {
        case bilinear       // triangle, support 1 (PIL BILINEAR; torchvision's default for PIL images)
        case lanczos3       // support 3 (PIL LANCZOS / ANTIALIAS)

        var support: Double { self == .bilinear ? 1 : 3 }
        func weight(_ x: Double) -> Double {
            switch self {
            case .bilinear:
                let a = abs(x); return a < 1 ? 1 - a : 0
            case .lanczos3:
                if x == 0 { return 1 }
                if abs(x) >= 3 { return 0 }
                let px = Double.pi * x
                return 3 * sin(px) * sin(px / 3) / (px * px)
            }
        }
    }

    public static func resize(_ x: Tensor, width: Int, height: Int, filter: Filter) -> Tensor {
        precondition(width > 0 && height > 0)
        let horizontal = taps(from: x.width, to: width, filter)
        let vertical = taps(from: x.height, to: height, filter)
        let mid = Tensor(channels: x.channels, height: x.height, width: width)
        for c in 0..<x.channels {
            for y in 0..<x.height {
                let src = x.data + (c * x.height + y) * x.width, dst = mid.data + (c * x.height + y) * width
                for (ox, t) in horizontal.enumerated() {
                    var s: Double = 0
                    for (k, w) in t.weights.enumerated() { s += w * Double(src[t.first + k]) }
                    dst[ox] = Float(s)
                }
            }
        }
        let out = Tensor(channels: x.channels, height: height, width: width)
        for c in 0..<x.channels {
            for (oy, t) in vertical.enumerated() {
                let dst = out.data + (c * height + oy) * width
                for ox in 0..<width {
                    var s: Double = 0
                    for (k, w) in t.weights.enumerated() { s += w * Double(mid.data[(c * x.height + t.first + k) * width + ox]) }
                    dst[ox] = Float(s)
                }
            }
        }
        return out
    }

    struct Taps { let first: Int; let weights: [Double] }

    /// PIL's precompute_coeffs: centre (o + 0.5)·scale, window ±support·max(scale, 1).
    static func taps(from n: Int, to m: Int, _ filter: Filter) -> [Taps] {
        let scale = Double(n) / Double(m)
        let stretch = max(scale, 1), support = filter.support * stretch
        return (0..<m).map { o in
            let centre = (Double(o) + 0.5) * scale
            let lo = max(Int(centre - support + 0.5), 0), hi = min(Int(centre + support + 0.5), n)
            var w = (lo..<hi).map { filter.weight((Double($0) - centre + 0.5) / stretch) }
            let total = w.reduce(0, +)
            if total != 0 { w = w.map { $0 / total } }
            return Taps(first: lo, weights: w)
        }
    }
}
