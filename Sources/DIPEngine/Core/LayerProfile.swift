import Dispatch

/// Wall time spent in each kind of layer, forward and backward, summed over the passes
/// run while it is attached to a `Compute` (`compute.profile`). Composite modules
/// (`Sequential`, `Concat`) time their leaf layers, not themselves, so nothing is
/// counted twice; a concat's own copying is left out. For benchmarks: it reads the clock
/// twice per layer.
public final class LayerProfile {
    public enum Pass: String, Sendable { case forward, backward }

    /// Seconds by layer kind (the module's type name, and with `byShape` its input's
    /// shape and a convolution's kernel, stride and channels) and pass.
    public private(set) var seconds: [String: [Pass: Double]] = [:]
    public let byShape: Bool
    /// Each module's key from its forward pass, so its backward is counted under the same one.
    private var keys: [ObjectIdentifier: String] = [:]

    public init(byShape: Bool = false) { self.byShape = byShape }

    /// Runs `body` and adds its time to `kind`'s `pass`.
    @inline(__always)
    public func measure<T>(_ kind: String, _ pass: Pass, _ body: () -> T) -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = body()
        seconds[kind, default: [:]][pass, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return result
    }

    /// Runs a module's pass on a tensor of `shape` (forward: its input), timed under its kind
    /// unless it is a composite.
    @inline(__always)
    func run<T>(_ module: Module, _ pass: Pass, _ shape: Shape, _ body: () -> T) -> T {
        if module is Sequential || module is Concat || module is NormalizedConv { return body() }
        let id = ObjectIdentifier(module)
        let key = pass == .forward || keys[id] == nil ? kind(module, shape) : keys[id]!
        keys[id] = key
        return measure(key, pass, body)
    }

    private func kind(_ module: Module, _ shape: Shape) -> String {
        let name = String(describing: type(of: module))
        guard byShape else { return name }
        if let c = module as? Conv2d {
            return "\(name) \(c.kernel)x\(c.kernel)/\(c.stride) \(c.inChannels)>\(c.outChannels) at \(shape.height)x\(shape.width)"
        }
        return "\(name) at \(shape.channels)x\(shape.height)x\(shape.width)"
    }

    /// Times a part of a module's pass under "<its kind> <label>" (a convolution's filter
    /// gradient), taking it out of the module's own time, which its caller adds whole.
    public func part<T>(_ label: String, of module: Module, _ pass: Pass, _ body: () -> T) -> T {
        let key = keys[ObjectIdentifier(module)] ?? String(describing: type(of: module))
        let start = DispatchTime.now().uptimeNanoseconds
        let result = body()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        seconds[key + " " + label, default: [:]][pass, default: 0] += elapsed
        seconds[key, default: [:]][pass, default: 0] -= elapsed
        return result
    }

    public func reset() { seconds = [:] }
}
