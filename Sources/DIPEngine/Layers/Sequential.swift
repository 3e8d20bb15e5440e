/// Modules applied one after another; backward runs them in reverse.
public final class Sequential: WritesIntoDestination {
    public private(set) var modules: [Module] = []
    public init(_ modules: [Module] = []) { self.modules = modules; propagate() }

    public func append(_ m: Module) { modules.append(m); propagate() }

    private var firstNeedsGradient = true
    public var needsInputGradient: Bool {
        get { firstNeedsGradient }
        set { firstNeedsGradient = newValue; propagate() }
    }
    private func propagate() {
        for (i, m) in modules.enumerated() { m.needsInputGradient = i == 0 ? firstNeedsGradient : true }
    }

    public var parameters: [Parameter] { modules.flatMap(\.parameters) }

    public func outputShape(for s: Shape) -> Shape { modules.reduce(s) { $1.outputShape(for: $0) } }

    public func forward(_ x: Tensor, _ compute: Compute) -> Tensor {
        Sequential.forward(modules[...], x, compute)
    }

    private static func forward(_ modules: ArraySlice<Module>, _ x: Tensor, _ compute: Compute) -> Tensor {
        var y = x
        for m in modules {
            if compute.isInterrupted { return y }       // cut short: the caller discards it
            if let profile = compute.profile {
                let input = y
                y = profile.run(m, .forward, input.shape) { m.forward(input, compute) }
            } else {
                y = m.forward(y, compute)
            }
        }
        return y
    }

    /// When its last module can write into a destination.
    public func canWrite(_ input: Shape) -> Bool {
        guard let last = modules.last as? WritesIntoDestination else { return false }
        return last.canWrite(modules.dropLast().reduce(input) { $1.outputShape(for: $0) })
    }

    public func forward(_ x: Tensor, into destination: Tensor, _ compute: Compute) {
        let head = Sequential.forward(modules.dropLast(), x, compute)
        if compute.isInterrupted { return }
        let last = modules.last as! WritesIntoDestination
        if let profile = compute.profile {
            _ = profile.run(last, .forward, head.shape) { last.forward(head, into: destination, compute); return destination }
        } else {
            last.forward(head, into: destination, compute)
        }
    }

    public func backward(_ dy: Tensor, _ compute: Compute) -> Tensor? {
        var g: Tensor? = dy
        for m in modules.reversed() {
            if compute.isInterrupted { return g }       // cut short: the caller discards it
            guard let current = g else { preconditionFailure("gradient stopped inside a sequence") }
            // Not `profile?.run(…) ?? m.backward(…)`: a module that returns no gradient would run twice.
            if let profile = compute.profile {
                g = profile.run(m, .backward, current.shape) { m.backward(current, compute) }
            } else {
                g = m.backward(current, compute)
            }
            // A module that did not work in place is done with its incoming gradient.
            if current !== dy && g !== current { compute.workspace.recycle(current) }
        }
        return g
    }
}
