/// What a fit minimises: the task's loss on the network output, and the
/// PSNR of the output against the degraded input that the reference prints
/// (PSNR_noisy for denoising, PSNR_masked for restoration, PSNR_LR for SR).
public protocol FitObjective: AnyObject {
    /// The shape the network must output.
    var outputShape: Shape { get }
    /// Returns the loss and writes dLoss/dOutput into `gradient`.
    func loss(output: Tensor, gradient: Tensor, compute: Compute) -> Float
    func psnrAgainstInput(_ output: Tensor) -> Double
    /// The pixels the loss leaves out and the degraded image on them, for auto stop's
    /// held-out rule (nil: the objective holds none out).
    var heldOut: (pixels: HeldOutPixels, target: Tensor)? { get }
}

extension FitObjective {
    public var heldOut: (pixels: HeldOutPixels, target: Tensor)? { nil }
}

/// Denoising and blind JPEG artefact removal: fit the degraded image itself, all of it
/// or all but `heldOutPixels` (whose squared errors the loss then counts as zero).
public final class FitImage: FitObjective {
    public let target: Tensor
    public let heldOutPixels: HeldOutPixels?
    private let lossMask: Tensor?
    public init(target: Tensor, heldOut: HeldOutPixels? = nil) {
        precondition(heldOut.map { $0.height == target.height && $0.width == target.width } ?? true)
        self.target = target; heldOutPixels = heldOut
        lossMask = heldOut?.lossMask()
    }
    public var outputShape: Shape { target.shape }
    public func loss(output: Tensor, gradient: Tensor, compute: Compute) -> Float {
        MSELoss.evaluate(output: output, target: target, mask: lossMask, gradient: gradient, compute: compute)
    }
    public func psnrAgainstInput(_ output: Tensor) -> Double { PSNR.compute(target, output) }
    public var heldOut: (pixels: HeldOutPixels, target: Tensor)? { heldOutPixels.map { ($0, target) } }
}

/// Inpainting and restoration: only known pixels (mask 1) count. The loss is
/// the reference's MSE(out·m, img·m), a mean over all elements, holes included.
/// With `heldOut`, those known pixels are left out of the loss too, for the held-out rule.
public final class FitMaskedImage: FitObjective {
    public let target: Tensor
    public let mask: Tensor
    public let heldOutPixels: HeldOutPixels?
    /// `mask` with the held-out pixels zeroed in every plane (`mask` itself without them).
    private let lossMask: Tensor
    public init(target: Tensor, mask: Tensor, heldOut: HeldOutPixels? = nil) {
        precondition(mask.height == target.height && mask.width == target.width
                     && (mask.channels == 1 || mask.channels == target.channels))
        precondition(heldOut.map { $0.height == target.height && $0.width == target.width } ?? true)
        self.target = target; self.mask = mask; heldOutPixels = heldOut
        if let heldOut {
            let m = mask.clone(), plane = mask.height * mask.width
            for c in 0..<m.channels { for i in heldOut.indices { m.data[c * plane + i] = 0 } }
            lossMask = m
        } else {
            lossMask = mask
        }
    }
    public var outputShape: Shape { target.shape }
    public func loss(output: Tensor, gradient: Tensor, compute: Compute) -> Float {
        MSELoss.evaluate(output: output, target: target, mask: lossMask, gradient: gradient, compute: compute)
    }
    public func psnrAgainstInput(_ output: Tensor) -> Double { PSNR.compute(target, output, mask: mask) }
    public var heldOut: (pixels: HeldOutPixels, target: Tensor)? { heldOutPixels.map { ($0, target) } }
}

/// Super-resolution: the output is `factor` times larger than the low-resolution
/// input, and the loss compares its Lanczos-2 downsampled version (the reference's
/// Downsampler) with the input.
public final class FitDownsampled: FitObjective {
    public let lowResolution: Tensor
    public let factor: Int
    private let downsampler: LanczosDownsampler
    private let downGradient: Tensor
    private var lastDown: Tensor?

    public init(lowResolution: Tensor, factor: Int, support: Int = 2) {
        self.lowResolution = lowResolution; self.factor = factor
        downsampler = LanczosDownsampler(factor: factor, support: support)
        downGradient = Tensor(lowResolution.shape)
    }
    public var outputShape: Shape {
        Shape(lowResolution.channels, lowResolution.height * factor, lowResolution.width * factor)
    }
    public func loss(output: Tensor, gradient: Tensor, compute: Compute) -> Float {
        let down = downsampler.forward(output, compute)
        lastDown = down
        let l = MSELoss.evaluate(output: down, target: lowResolution, gradient: downGradient, compute: compute)
        let g = downsampler.backward(downGradient, compute)!
        gradient.copy(from: g)
        compute.workspace.recycle(g)
        return l
    }
    /// PSNR of the downsampled output against the input (the reference's PSNR_LR),
    /// for the output of the last `loss` call.
    public func psnrAgainstInput(_ output: Tensor) -> Double {
        guard let d = lastDown else { return 0 }
        return PSNR.compute(lowResolution, d)
    }
}
