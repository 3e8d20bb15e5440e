/// A differentiable building block with an explicit forward and backward pass.
///
/// `forward` keeps whatever `backward` needs; `backward` takes the gradient of
/// the loss with respect to the output, accumulates parameter gradients, and
/// returns the gradient with respect to the input (nil when
/// `needsInputGradient` is false, e.g. for the first layer fed by fixed noise).
/// Returned tensors belong to the module and are overwritten by its next call;
/// modules may also work in place on the tensor they are given.
public protocol Module: AnyObject {
    func forward(_ x: Tensor, _ compute: Compute) -> Tensor
    func backward(_ dy: Tensor, _ compute: Compute) -> Tensor?
    var parameters: [Parameter] { get }
    var needsInputGradient: Bool { get set }
    /// Output shape for an input shape, without running anything.
    func outputShape(for input: Shape) -> Shape
}

extension Module {
    public var parameters: [Parameter] { [] }
}

/// A module that can write its output into a tensor it is given (a channel slice of a
/// `Concat`'s output) instead of a buffer of its own, when its backward pass never reads
/// that output: the copy and the buffer are saved (at 512², the 134 MB of a 128-channel
/// full-resolution upsampling).
public protocol WritesIntoDestination: Module {
    /// Whether `forward(_:into:_:)` can serve this input (else: `forward`, and a copy).
    func canWrite(_ input: Shape) -> Bool
    /// `forward`, with the output written into `destination` (of `outputShape(for:)`).
    func forward(_ x: Tensor, into destination: Tensor, _ compute: Compute)
}

/// Reuses a module-owned buffer when the shape is unchanged, so a fit allocates
/// its activations once, on the first iteration.
@inline(__always)
func reuse(_ buffer: inout Tensor?, _ shape: Shape) -> Tensor {
    if let b = buffer, b.shape == shape { return b }
    let t = Tensor(shape)
    buffer = t
    return t
}
