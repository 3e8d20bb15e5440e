import ArgumentParser
import DIPEngine

/// A crop window given as WxH (centred) or WxH+X+Y.
struct CropWindow: ExpressibleByArgument {
    var width: Int, height: Int, x: Int?, y: Int?

    init?(argument: String) {
        let parts = argument.split(separator: "+", omittingEmptySubsequences: false)
        let size = parts[0].split(separator: "x")
        guard size.count == 2, let w = Int(size[0]), let h = Int(size[1]), w > 0, h > 0 else { return nil }
        width = w; height = h
        if parts.count == 3 {
            guard let x = Int(parts[1]), let y = Int(parts[2]), x >= 0, y >= 0 else { return nil }
            self.x = x; self.y = y
        } else if parts.count != 1 {
            return nil
        }
    }

    func apply(_ t: Tensor) throws -> Tensor {
        let x0 = x ?? (t.width - width) / 2, y0 = y ?? (t.height - height) / 2
        guard x0 >= 0, y0 >= 0, x0 + width <= t.width, y0 + height <= t.height else {
            throw CLIError("crop \(width)x\(height)+\(x0)+\(y0) does not fit in the \(t.width)x\(t.height) image")
        }
        return t.cropped(x: x0, y: y0, width: width, height: height)
    }
}
