#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Peak signal-to-noise ratio for signals in [0, 1]: 10·log10(1 / MSE), over
/// all channels and pixels, as skimage's compare_psnr with data_range 1.
public enum PSNR {
    public static func compute(_ a: Tensor, _ b: Tensor, mask: Tensor? = nil) -> Double {
        precondition(a.shape == b.shape)
        var se = 0.0
        for c in 0..<a.channels {
            let x = a.data + c * a.plane, y = b.data + c * a.plane
            let m = mask.map { $0.data + ($0.channels == 1 ? 0 : c * a.plane) }
            var start = 0
            while start < a.plane {
                let end = min(a.plane, start + 4096)
                var s: Float = 0
                for i in start..<end {
                    var d = x[i] - y[i]
                    if let m { d *= m[i] }
                    s += d * d
                }
                se += Double(s); start = end
            }
        }
        let mse = se / Double(a.count)
        return mse > 0 ? 10 * log10(1 / mse) : .infinity
    }
}
