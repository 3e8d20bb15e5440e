/// Max pooling with a k×k window and stride s, no padding, as nn.MaxPool2d(k, s,
/// ceil_mode:). With `ceilMode` the output covers the whole input: the last
/// window may hang over the edge and is clipped (it must still start inside
/// the input). Ties go to the first maximum in scan order, as PyTorch.
public final class MaxPool2d: Module {
    public let kernel: Int, stride: Int, ceilMode: Bool
    public var needsInputGradient = true
    private var inputShape: Shape?
    private var output: Tensor?
    private var argmax: [Int32] = []       // index within the input plane

    public init(kernel: Int, stride: Int, ceilMode: Bool) {
        precondition(kernel >= 1 && stride >= 1)
        self.kernel = kernel; self.stride = stride; self.ceilMode = ceilMode
    }

    /// PyTorch's pooling_output_shape with no padding: floor or ceil of (n − k)/s, plus one;
    /// in ceil mode a window that would start past the input is dropped.
    func outputSize(_ n: Int) -> Int {
        func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
        var out = floorDiv(n - kernel + (ceilMode ? stride - 1 : 0), stride) + 1
        if ceilMode && (out - 1) * stride >= n { out -= 1 }
        return max(out, 0)
    }

    public func outputShape(for s: Shape) -> Shape { Shape(s.channels, outputSize(s.height), outputSize(s.width)) }

    public func forward(_ x: Tensor, _ compute: Compute) -> Tensor {
        inputShape = x.shape
        let y = reuse(&output, outputShape(for: x.shape))
        precondition(y.count > 0, "max pool \(kernel)×\(kernel): input \(x.shape) is too small")
        if argmax.count != y.count { argmax = .init(repeating: 0, count: y.count) }
        let h = x.height, w = x.width, oh = y.height, ow = y.width, k = kernel, s = stride
        argmax.withUnsafeMutableBufferPointer { am in
            let am = am.baseAddress!
            compute.forEachChunk(x.channels) { range in
                for c in range {
                    let src = x.data + c * x.plane, dst = y.data + c * y.plane, arg = am + c * y.plane
                    for oy in 0..<oh {
                        let y0 = oy * s, y1 = min(y0 + k, h)
                        for ox in 0..<ow {
                            let x0 = ox * s, x1 = min(x0 + k, w)
                            var best = src[y0 * w + x0], at = y0 * w + x0
                            for yy in y0..<y1 {
                                for xx in x0..<x1 where src[yy * w + xx] > best {
                                    best = src[yy * w + xx]; at = yy * w + xx
                                }
                            }
                            dst[oy * ow + ox] = best; arg[oy * ow + ox] = Int32(at)
                        }
                    }
                }
            }
        }
        return y
    }

    public func backward(_ dy: Tensor, _ compute: Compute) -> Tensor? {
        guard needsInputGradient else { return nil }
        guard let s = inputShape else { preconditionFailure("backward before forward") }
        let dx = compute.workspace.gradient(s)
        argmax.withUnsafeBufferPointer { am in
            let am = am.baseAddress!
            compute.forEachChunk(s.channels) { range in
                for c in range {
                    let g = dy.data + c * dy.plane, out = dx.data + c * dx.plane, arg = am + c * dy.plane
                    out.update(repeating: 0, count: dx.plane)
                    for i in 0..<dy.plane { out[Int(arg[i])] += g[i] }
                }
            }
        }
        return dx
    }
}
