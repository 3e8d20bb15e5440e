import Dispatch

/// Wall time spent in each kind of layer, forward and backward, summed over the passes
/// run while it is attached to a `Compute` (`compute.profile`). Composite modules
/// (`Sequential`, `Concat`) time their leaf layers, not themselves, so nothing is
/// counted twice; a concat's own copying is left out. For benchmarks: it reads the clock
/// twice per layer.
public final class LayerProfile {
    public enum Pass: String, Sendable { case forward, backward }

    /// Seconds by layer kind (the module's type name) and pass.
    public private(set) var seconds: [String: [Pass: Double]] = [:]

    public init() {}

    /// Runs `body` and adds its time to `kind`'s `pass`.
    @inline(__always)
    public func measure<T>(_ kind: String, _ pass: Pass, _ body: () -> T) -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = body()
        seconds[kind, default: [:]][pass, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return result
    }

    /// Runs a module's pass, timed under its type name unless it is a composite.
    @inline(__always)
    func run<T>(_ module: Module, _ pass: Pass, _ body: () -> T) -> T {
        if module is Sequential || module is Concat { return body() }
        return measure(String(describing: type(of: module)), pass, body)
    }

    public func reset() { seconds = [:] }
}
