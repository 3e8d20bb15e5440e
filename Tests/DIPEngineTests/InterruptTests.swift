import Testing
@testable import DIPEngine

/// A cancel lands between layers: composite modules run no further layer once the
/// compute's interrupt is set, in the forward and in the backward pass.
@Suite("Cancel between layers")
struct InterruptTests {
    /// An identity layer that counts its passes and, if told to, sets the flag as it runs
    /// forward or backward.
    final class Probe: Module {
        var forwards = 0, backwards = 0
        let tripsForward: CancellationFlag?, tripsBackward: CancellationFlag?
        var needsInputGradient = true
        init(tripsForward: CancellationFlag? = nil, tripsBackward: CancellationFlag? = nil) {
            self.tripsForward = tripsForward; self.tripsBackward = tripsBackward
        }
        func forward(_ x: Tensor, _ compute: Compute) -> Tensor { forwards += 1; tripsForward?.cancel(); return x }
        func backward(_ dy: Tensor, _ compute: Compute) -> Tensor? { backwards += 1; tripsBackward?.cancel(); return dy }
        func outputShape(for s: Shape) -> Shape { s }
    }

    @Test func forwardStopsAfterTheLayerThatSawTheCancel() {
        let flag = CancellationFlag()
        let before = Probe(), tripping = Probe(tripsForward: flag), inner = Probe(), after = Probe()
        let net = Sequential([before, tripping, Concat([Sequential([inner]), Probe()]), after])
        var compute = Compute.serial
        compute.interrupt = flag
        _ = net.forward(Tensor(Shape(1, 4, 4)), compute)
        #expect(before.forwards == 1 && tripping.forwards == 1)
        #expect(inner.forwards == 0 && after.forwards == 0)
    }

    @Test func backwardStopsAfterTheLayerThatSawTheCancel() {
        let flag = CancellationFlag()
        let first = Probe(), tripping = Probe(tripsBackward: flag), branchA = Probe(), last = Probe()
        let net = Sequential([first, Concat([Sequential([branchA]), Sequential([tripping])]), last])
        var compute = Compute.serial
        compute.interrupt = flag
        let y = net.forward(Tensor(Shape(1, 4, 4)), compute)      // not yet cancelled: runs whole
        #expect(first.forwards == 1 && branchA.forwards == 1 && tripping.forwards == 1 && last.forwards == 1)
        _ = net.backward(Tensor(y.shape), compute)
        // Backward runs last, then the concat's branches in order: A, then the tripping one; the
        // branches' gradients are not summed and the first layer never runs.
        #expect(last.backwards == 1 && branchA.backwards == 1 && tripping.backwards == 1)
        #expect(first.backwards == 0)
    }

    /// Without an interrupt (or before it is set) every layer runs.
    @Test func aClearFlagChangesNothing() {
        let probes = (0..<3).map { _ in Probe() }
        var compute = Compute.serial
        compute.interrupt = CancellationFlag()
        let net = Sequential(probes)
        _ = net.backward(net.forward(Tensor(Shape(1, 2, 2)), compute), compute)
        #expect(probes.allSatisfy { $0.forwards == 1 && $0.backwards == 1 })
    }
}
