import Testing
@testable import DIPEngine

/// Winograd F(4×4, 3×3) against the direct definition (forward) and against the
/// strips path, which the finite-difference tests check (backward).
@Suite("Winograd convolution")
struct WinogradTests {
    static func randomConv(_ cin: Int, _ cout: Int, _ padding: Padding, pad: Int, seed: UInt64) -> Conv2d {
        let conv = Conv2d(cin, cout, kernel: 3, padding: padding, pad: pad)
        var rng = RandomSource(seed: seed)
        for p in conv.parameters { for i in 0..<p.count { p.value[i] = 2 * rng.uniform() - 1 } }
        return conv
    }

    static func random(_ shape: Shape, seed: UInt64) -> Tensor {
        var rng = RandomSource(seed: seed)
        let x = Tensor(shape)
        for i in 0..<x.count { x.data[i] = 2 * rng.uniform() - 1 }
        return x
    }

    /// Largest difference relative to the largest magnitude of `reference`. Winograd's
    /// transforms round at 2–4e-6 of that here (the direct sums at about 1e-7); a wrong
    /// coefficient, map or edge shows as 1e-2 or more.
    static func relativeError(_ a: [Float], _ reference: [Float]) -> Float {
        let scale = reference.map(abs).max() ?? 1
        return (zip(a, reference).map { abs($0 - $1) }.max() ?? 0) / max(scale, 1e-30)
    }

    @Test(arguments: [(Padding.reflection, 1), (.zero, 1), (.replication, 1), (.zero, 0)], InstructionSet.supported)
    func forwardMatchesDefinition(_ c: (Padding, Int), _ kernels: InstructionSet) throws {
        let compute = try Compute(threads: 2, instructionSet: kernels)
        let conv = Self.randomConv(8, 9, c.0, pad: c.1, seed: 5)
        #expect(conv.usesWinograd(compute))
        for (h, w) in [(4, 4), (5, 7), (16, 16), (33, 9), (12, 61)] {
            let x = Self.random(Shape(8, h, w), seed: UInt64(h * 100 + w))
            let fast = conv.forward(x, compute), slow = ConvForwardTests.naive(x, conv, pad: c.1)
            #expect(fast.shape == slow.shape)
            let error = Self.relativeError(fast.values, slow.values)
            #expect(error < 1e-5, "\(c.0) pad \(c.1) \(h)×\(w) \(kernels): relative error \(error)")
        }
    }

    @Test(arguments: InstructionSet.supported)
    func gradientsMatchTheStripsPath(_ kernels: InstructionSet) throws {
        for (cin, cout, h, w, pad, padding) in [(8, 12, 13, 10, 1, Padding.reflection), (16, 8, 32, 32, 1, .zero),
                                                (9, 8, 7, 21, 1, .replication), (9, 8, 7, 21, 0, .reflection)] {
            func run(winograd: Bool, threads: Int = 2) throws -> (y: [Float], dx: [Float], dw: [Float], db: [Float]) {
                var compute = try Compute(threads: threads, instructionSet: kernels)
                compute.winograd = winograd
                let conv = Self.randomConv(cin, cout, padding, pad: pad, seed: 7)
                #expect(conv.usesWinograd(compute) == winograd)
                let y = conv.forward(Self.random(Shape(cin, h, w), seed: 8), compute)
                let dx = try #require(conv.backward(Self.random(y.shape, seed: 9), compute))
                return (y.values, dx.values, conv.weight.gradients, conv.bias!.gradients)
            }
            let fast = try run(winograd: true), serial = try run(winograd: true, threads: 1)
            let strips = try run(winograd: false)
            for (a, b, what) in [(fast.y, strips.y, "output"), (fast.dx, strips.dx, "input gradient"),
                                 (fast.dw, strips.dw, "weight gradient"), (fast.db, strips.db, "bias gradient"),
                                 (serial.dw, fast.dw, "weight gradient, 1 thread against 2")] {
                #expect(a.count == b.count)
                let error = Self.relativeError(a, b)
                #expect(error < 1e-5, "\(cin)→\(cout) \(h)×\(w) \(padding) \(pad) \(kernels) \(what): relative error \(error)")
            }
        }
    }

    /// A scale and shift per input channel applied as the tiles are read (a folded batch
    /// norm): the same output and filter gradient as the convolution of the scaled input,
    /// padding included (zero padding stays zero after the scaling).
    @Test(arguments: [(Padding.reflection, 1), (.zero, 1), (.replication, 1)], InstructionSet.supported)
    func inputScaleAndShiftAreAppliedAsTheInputIsRead(_ c: (Padding, Int), _ kernels: InstructionSet) throws {
        let compute = try Compute(threads: 2, instructionSet: kernels)
        let x = Self.random(Shape(9, 13, 10), seed: 3), dy = Self.random(Shape(8, 13, 10), seed: 4)
        var rng = RandomSource(seed: 6)
        let scale = (0..<9).map { _ in 2 * rng.uniform() - 1 }, shift = (0..<9).map { _ in 2 * rng.uniform() - 1 }
        let scaled = Tensor(x.shape)
        for ch in 0..<9 { for i in 0..<x.plane { scaled.data[ch * x.plane + i] = x.data[ch * x.plane + i] * scale[ch] + shift[ch] } }
        func run(_ affine: Bool) -> (y: [Float], dx: [Float], dw: [Float]) {
            let conv = Self.randomConv(9, 8, c.0, pad: c.1, seed: 7)
            let y = affine ? conv.forward(x, affine: (scale, shift), compute) : conv.forward(scaled, compute)
            let values = y.values
            let dx = conv.backward(dy, compute)!.values
            return (values, dx, conv.weight.gradients)
        }
        let read = run(true), stored = run(false)
        for (a, b, what) in [(read.y, stored.y, "output"), (read.dx, stored.dx, "input gradient"), (read.dw, stored.dw, "weight gradient")] {
            let error = Self.relativeError(a, b)
            #expect(error < 1e-5, "\(c.0) \(kernels) \(what): relative error \(error)")
        }
    }

    @Test func smallChannelCountsStayOnTheStrips() {
        let compute = Compute.serial
        #expect(!Conv2d(3, 128, kernel: 3).usesWinograd(compute))
        #expect(!Conv2d(128, 128, kernel: 3, stride: 2).usesWinograd(compute))
        #expect(!Conv2d(128, 128, kernel: 1).usesWinograd(compute))
        #expect(Conv2d(128, 128, kernel: 3).usesWinograd(compute))
    }
}
