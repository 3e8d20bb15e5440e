/// The skip network maps an H×W input to H×W only for sizes whose halvings
/// stay consistent. The reference centre-crops every image to a multiple of
/// 32; we keep the whole image instead: it is reflect-padded up to the next
/// size the network accepts, fitted, and the result cropped back.
public struct PaddedRegion: Sendable, Equatable {
    public var top: Int, left: Int, height: Int, width: Int
    public var paddedHeight: Int, paddedWidth: Int
    public var isIdentity: Bool { top == 0 && left == 0 && height == paddedHeight && width == paddedWidth }
}

public enum SizePolicy {
    /// The smallest padded size ≥ the image that the network maps to itself.
    public static func region(height: Int, width: Int, network: SkipNetwork) -> PaddedRegion? {
        let multiple = 1 << network.configuration.levels
        func fits(_ h: Int, _ w: Int) -> Bool { (try? network.checkedOutputShape(height: h, width: w)) != nil }
        var ph = height, pw = width
        if !fits(ph, pw) {
            ph = (height + multiple - 1) / multiple * multiple
            pw = (width + multiple - 1) / multiple * multiple
            guard fits(ph, pw) else { return nil }
        }
        return PaddedRegion(top: (ph - height) / 2, left: (pw - width) / 2, height: height, width: width,
                            paddedHeight: ph, paddedWidth: pw)
    }

    /// Reflect-pads (mirror without repeating the edge, as the network's padding) into the region's size.
    public static func pad(_ x: Tensor, _ r: PaddedRegion) -> Tensor {
        if r.isIdentity { return x.clone() }
        let out = Tensor(channels: x.channels, height: r.paddedHeight, width: r.paddedWidth)
        let py = r.top, px = r.left
        for c in 0..<x.channels {
            for y in 0..<r.paddedHeight {
                let sy = Padding.reflection.source(y, pad: py, size: x.height)
                for xx in 0..<r.paddedWidth {
                    out[c, y, xx] = x[c, sy, Padding.reflection.source(xx, pad: px, size: x.width)]
                }
            }
        }
        return out
    }

    public static func crop(_ x: Tensor, _ r: PaddedRegion) -> Tensor {
        r.isIdentity ? x.clone() : x.cropped(x: r.left, y: r.top, width: r.width, height: r.height)
    }
}
