/// What a fit minimises: the task's loss on the network output, and the
/// PSNR of the output against the degraded input that the reference prints
/// (PSNR_noisy for denoising, PSNR_masked for restoration, PSNR_LR for SR).
public protocol FitObjective: AnyObject {
    /// The shape the network must output.
    var outputShape: Shape { get }
    /// Returns the loss and writes dLoss/dOutput into `gradient`.
    func loss(output: Tensor, gradient: Tensor, compute: Compute) -> Float
    func psnrAgainstInput(_ output: Tensor) -> Double
}

/// Denoising and blind JPEG artefact removal: fit the degraded image itself.
public final class FitImage: FitObjective {
    public let target: Tensor
    public init(target: Tensor) { self.target = target }
    public var outputShape: Shape { target.shape }
    public func loss(output: Tensor, gradient: Tensor, compute: Compute) -> Float {
        MSELoss.evaluate(output: output, target: target, gradient: gradient, compute: compute)
    }
    public func psnrAgainstInput(_ output: Tensor) -> Double { PSNR.compute(target, output) }
}
