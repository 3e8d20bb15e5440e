/// Elementwise nonlinearities. They work in place on their input and on the
/// incoming gradient: the sign (or value) of the output is all backward needs,
/// which saves one full-resolution tensor per layer.
public enum ActivationKind: String, Sendable, Codable {
    case leakyReLU = "LeakyReLU", relu = "ReLU", none
}

/// max(x, slope·x); ReLU is slope 0.
public final class LeakyReLU: Module {
    public let slope: Float
    public var needsInputGradient = true
    private var output: Tensor?

    public init(slope: Float = 0.2) { self.slope = slope }
    public func outputShape(for s: Shape) -> Shape { s }

    public func forward(_ x: Tensor, _ compute: Compute) -> Tensor {
        let p = x.data, a = slope
        compute.forEachChunk(x.count, grain: 1 << 16) { r in
            for i in r { let v = p[i]; p[i] = v > 0 ? v : v * a }
        }
        output = x
        return x
    }

    public func backward(_ dy: Tensor, _ compute: Compute) -> Tensor? {
        guard let y = output else { preconditionFailure("backward before forward") }
        let d = dy.data, o = y.data, a = slope
        compute.forEachChunk(dy.count, grain: 1 << 16) { r in
            for i in r { d[i] = o[i] > 0 ? d[i] : d[i] * a }
        }
        return dy
    }
}

public final class Sigmoid: Module {
    public var needsInputGradient = true
    private var output: Tensor?
    public init() {}
    public func outputShape(for s: Shape) -> Shape { s }

    public func forward(_ x: Tensor, _ compute: Compute) -> Tensor {
        let p = x.data
        compute.forEachChunk(x.count, grain: 1 << 14) { r in
            for i in r { p[i] = 1 / (1 + expf(-p[i])) }
        }
        output = x
        return x
    }

    public func backward(_ dy: Tensor, _ compute: Compute) -> Tensor? {
        guard let y = output else { preconditionFailure("backward before forward") }
        let d = dy.data, o = y.data
        compute.forEachChunk(dy.count, grain: 1 << 16) { r in for i in r { d[i] *= o[i] * (1 - o[i]) } }
        return dy
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
