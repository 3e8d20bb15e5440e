import Testing
@testable import DIPEngine

/// The layer profile times each leaf layer once per pass and changes nothing it times.
@Suite("Layer profile")
struct LayerProfileTests {
    @Test func everyLayerRunsOnceAndIsCountedUnderItsKind() {
        // The first layers return no input gradient (as a network's first convolutions, fed by
        // fixed noise, do), so the concat of them returns none: the profiled backward must not
        // run it again.
        let second = InterruptTests.Probe()
        final class NoGradient: Module {
            var backwards = 0
            var needsInputGradient = false
            func forward(_ x: Tensor, _ compute: Compute) -> Tensor { x }
            func backward(_ dy: Tensor, _ compute: Compute) -> Tensor? { backwards += 1; return nil }
            func outputShape(for s: Shape) -> Shape { s }
        }
        let none = NoGradient(), alsoNone = NoGradient()
        let net = Sequential([Concat([Sequential([none]), Sequential([alsoNone])]), second])
        var compute = Compute.serial
        let profile = LayerProfile(byShape: true)
        compute.profile = profile
        let y = net.forward(Tensor(Shape(1, 4, 4)), compute)
        _ = net.backward(Tensor(y.shape), compute)
        #expect(none.backwards == 1 && alsoNone.backwards == 1 && second.backwards == 1)
        #expect(second.forwards == 1)
        let kinds = Set(profile.seconds.keys)
        #expect(kinds == ["Probe at 2x4x4", "NoGradient at 1x4x4"], "\(kinds)")
        #expect(profile.seconds.values.allSatisfy { $0[.forward] != nil && $0[.backward] != nil })
    }

    /// A folded batch norm is timed as the two layers it is; a Winograd convolution's
    /// filter gradient has a row of its own, taken out of the convolution's backward.
    @Test func foldedLayersAndFilterGradientsHaveTheirOwnRows() throws {
        var compute = Compute(threads: 1)
        let profile = LayerProfile()
        compute.profile = profile
        let net = Sequential([NormalizedConv(BatchNorm2d(16), Conv2d(16, 16, kernel: 3, padding: .reflection))])
        net.needsInputGradient = true
        let y = net.forward(Tensor(Shape(16, 20, 20)), compute)
        _ = net.backward(Tensor(y.shape), compute)
        #expect(Set(profile.seconds.keys) == ["BatchNorm2d", "Conv2d", "Conv2d filter gradient"], "\(profile.seconds.keys)")
        #expect(profile.seconds["Conv2d filter gradient"]?[.backward] ?? 0 > 0)
        #expect(profile.seconds["Conv2d"]?[.backward] ?? -1 >= 0)
    }
}
