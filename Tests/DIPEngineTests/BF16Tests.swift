import CKernels
import Foundation
import Testing
@testable import DIPEngine

/// The bf16 products (AVX512-BF16, fp32 sums) against double-precision definitions, with
/// tolerances derived from bf16's unit roundoff u = 2⁻⁸ (8 significant bits): each operand
/// is rounded once, so a product is off by at most (2u + u²) of itself, and the fp32 sums
/// add at most (k + 4)·2⁻²³ of Σ|a·b|. Skipped where the CPU lacks AVX512-BF16.
@Suite("bf16 products", .enabled(if: Precision.bf16Supported, "this CPU has no AVX512-BF16"))
struct BF16Tests {
    static let u = 1.0 / 256
    static let fp32 = Double(Float.ulpOfOne)

    /// Bound on |computed − exact| for one entry: both operands rounded to bf16 (alpha·a
    /// rounded in fp32 first), k fp32 additions, beta·C in fp32.
    static func bound(k: Int, magnitude: Double, old: Double) -> Double {
        (2 * u + u * u + Double(k + 4) * fp32) * 1.01 * magnitude + 2 * fp32 * old + 1e-30
    }

    /// Every transpose combination, sizes off the 8×32 tiles, odd k (half a last pair), k past
    /// one 384-deep slice, n past a block of B, alpha and beta of 0, 1 and other values,
    /// leading dimensions wider than the matrices, NaN in the padding.
    @Test func matchesDefinition() {
        var failures: [String] = []
        let shapes = [(1, 1, 1), (5, 17, 3), (8, 32, 2), (9, 33, 7), (32, 128, 36), (128, 132, 64), (36, 129, 33),
                      (150, 40, 801), (7, 4200, 300), (13, 35, 0)]
        let alphas: [Float] = [1, 0.5, -2, 0], betas: [Float] = [0, 1, 0.7]
        var i = 0
        for transA in [false, true] {
            for transB in [false, true] {
                for (m, n, k) in shapes {
                    let c = GemmTests.Case(transA: transA, transB: transB, m: m, n: n, k: k,
                                           alpha: alphas[i % 4], beta: betas[i % 3], pad: i % 3)
                    if let problem = Self.check(c, seed: UInt64(i)) { failures.append(problem) }
                    i += 1
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(i) cases fail: \(failures.prefix(4))")
    }

    /// Runs one case and returns the worst entry outside the bound, if any.
    static func check(_ c: GemmTests.Case, seed: UInt64) -> String? {
        let lda = (c.transA ? c.m : c.k) + c.pad, ldb = (c.transB ? c.k : c.n) + c.pad, ldc = c.n + c.pad
        let aRows = c.transA ? c.k : c.m, bRows = c.transB ? c.n : c.k
        var rng = RandomSource(seed: seed)
        var a = [Float](repeating: .nan, count: max(1, aRows * lda))
        var b = [Float](repeating: .nan, count: max(1, bRows * ldb))
        var cm = [Float](repeating: .nan, count: c.m * ldc)
        for r in 0..<aRows { for j in 0..<(lda - c.pad) { a[r * lda + j] = 2 * rng.uniform() - 1 } }
        for r in 0..<bRows { for j in 0..<(ldb - c.pad) { b[r * ldb + j] = 2 * rng.uniform() - 1 } }
        if c.beta != 0 { for i in 0..<c.m { for j in 0..<c.n { cm[i * ldc + j] = 2 * rng.uniform() - 1 } } }
        let before = cm
        let status = dip_gemm_bf16(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, &cm, ldc, nil)
        if status != 0 { return "\(c): status \(status)" }
        var worst: (ratio: Double, what: String)? = nil
        for i in 0..<c.m {
            for j in 0..<c.n {
                var sum = 0.0, magnitude = 0.0
                for p in 0..<c.k {
                    let x = Double(c.transA ? a[p * lda + i] : a[i * lda + p])
                    let y = Double(c.transB ? b[j * ldb + p] : b[p * ldb + j])
                    sum += x * y; magnitude += abs(x * y)
                }
                let old = c.beta == 0 ? 0 : Double(before[i * ldc + j])
                let expected = Double(c.alpha) * sum + Double(c.beta) * old
                let bound = Self.bound(k: c.k, magnitude: abs(Double(c.alpha)) * magnitude, old: abs(Double(c.beta) * old))
                let error = abs(Double(cm[i * ldc + j]) - expected)
                let ratio = error.isNaN ? .infinity : error / bound
                if ratio > 1, worst == nil || ratio > worst!.ratio {
                    worst = (ratio, "C[\(i), \(j)] = \(cm[i * ldc + j]), expected \(expected), bound \(bound)")
                }
            }
            for j in c.n..<ldc where !cm[i * ldc + j].isNaN { return "\(c): C[\(i), \(j)] is padding but was written" }
        }
        return worst.map { "\(c): \($0.what)" }
    }

    /// The operands really are bf16, rounded to nearest with ties to even: 1 + 2⁻⁸ lies halfway
    /// between 1 and 1 + 2⁻⁷ and goes to 1 (even); 1 + 3·2⁻⁸ goes up to 1 + 2⁻⁶ (even).
    @Test func roundsToNearestEven() {
        var c: [Float] = [0, 0]
        let a: [Float] = [1 + 1.0 / 256, 1 + 3.0 / 256], b: [Float] = [1]
        #expect(dip_gemm_bf16(false, false, 2, 1, 1, 1, a, 1, b, 1, 0, &c, 1, nil) == 0)
        #expect(c == [1, 1 + 1.0 / 64])
    }

    /// A Winograd layer's forward pass in bf16 against the double-precision direct convolution.
    /// Each product's operands are off by 2u, but F(4×4, 3×3) amplifies that: its input
    /// transform makes values up to 10·10 times the input's, and its output transform adds the
    /// 36 products with weights up to 8·8 that largely cancel. Judged against the largest |y|,
    /// the error is about 2u·κ, κ ≈ 10–20 (seen: 0.083 here, against 3e-6 in fp32); held to
    /// 2u·16 = 0.125, and well above fp32's (the products really are bf16).
    @Test func winogradLayerNearDefinition() throws {
        var compute = try Compute(threads: 2, instructionSet: .avx512)
        compute.precision = .bf16
        let conv = WinogradTests.randomConv(16, 24, .reflection, pad: 1, seed: 3)
        let x = WinogradTests.random(Shape(16, 64, 70), seed: 4)
        #expect(conv.productPrecision(compute, height: 64, width: 70) == .bf16)
        let y = conv.forward(x, compute), exact = ConvForwardTests.naive(x, conv, pad: 1)
        let error = WinogradTests.relativeError(y.values, exact.values)
        var fp32 = compute
        fp32.precision = .fp32
        let errorFP32 = WinogradTests.relativeError(conv.forward(x, fp32).values, exact.values)
        print("bf16 Winograd 16→24 at 64×70: largest error \(error) of the largest |y| (fp32: \(errorFP32))")
        #expect(Double(error) < 2 * Self.u * 16 && error > 4 * errorFP32, "relative error \(error), fp32 \(errorFP32)")
    }

    /// The bf16 layer's gradients by central differences of its own bf16 forward. The layer
    /// is linear in x and in w, so a large step (h = 0.5) leaves no truncation error; what
    /// is left is rounding: the analytic gradient's products are off by 2u of their
    /// magnitudes, and a difference quotient changes the rounding of the tiles the probed
    /// entry touches by up to 2u of them, divided by 2h. Against the largest gradient entry,
    /// with Winograd's amplification of about 10 on these operands: 2u·(1 + 1/(2h))·10 ≈ 0.16 —
    /// held here to 0.05, with the figure seen printed.
    @Test func gradientsByFiniteDifferences() {
        var check = GradientCheck(h: 0.5, tolerance: 0.05, samples: 24, seed: 9, kernels: .avx512)
        check.precision = .bf16
        let conv = Conv2d(16, 16, kernel: 3, padding: .reflection)
        let r = check.run(conv, input: Shape(16, 64, 64))
        print("bf16 Conv2d 16→16 at 64×64: worst finite-difference mismatch \(r.worst) of the largest gradient")
        #expect(r.failures.isEmpty, "\(r.failures.prefix(5))")
        #expect(r.checked > 0)
    }

    /// A few Adam steps of a small denoising fit in bf16 and in fp32 from the same start:
    /// the result's PSNR against the clean image stays within 0.2 dB (seen: printed).
    @Test func fitStaysNearFP32() throws {
        let size = 64
        let clean = Tensor(Shape(3, size, size)), noisy = Tensor(Shape(3, size, size))
        var rng = RandomSource(seed: 2)
        for c in 0..<3 { for y in 0..<size { for x in 0..<size {
            let wave: Double = sin(Double(x) / 7 + Double(c)) * cos(Double(y) / 9)
            let v = 0.5 + 0.3 * Float(wave)
            clean[c, y, x] = v
            noisy[c, y, x] = min(1, max(0, v + 0.1 * (2 * rng.uniform() - 1)))
        } } }
        let network = SkipConfiguration(inputChannels: 16, outputChannels: 3, channelsDown: [16, 16], channelsUp: [16, 16],
                                        channelsSkip: [4, 4], padding: .reflection, upsampleMode: [.bilinear])
        func fit(_ precision: Precision) throws -> Double {
            var s = FitSettings()
            s.iterations = 30; s.seed = 1; s.threads = 2; s.precision = precision
            let r = try DenoisingTask(image: noisy, network: network, settings: s).run(cancel: nil)
            return PSNR.compute(r.image, clean)
        }
        let a = try fit(.fp32), b = try fit(.bf16)
        print("30 iterations at 64×64: PSNR fp32 \(a) dB, bf16 \(b) dB")
        #expect(abs(a - b) < 0.2, "fp32 \(a) dB, bf16 \(b) dB")
    }
}

/// The precision knob on any CPU: names, refusals and what `auto` turns into.
@Suite("Precision")
struct PrecisionTests {
    @Test func namesAndAuto() throws {
        #expect(throws: PrecisionError.unknown("fp8")) { try Precision.named("fp8") }
        #expect(try Precision.named("fp32") == .fp32)
        if Precision.bf16Supported {
            #expect(try Precision.named("bf16") == .bf16)
        } else {
            #expect(throws: PrecisionError.unsupported(.bf16)) { try Precision.named("bf16") }
        }
        // auto is bf16 only with AVX-512 kernels on an AVX512-BF16 CPU where it measured faster.
        #expect(Precision.auto.resolved(for: .avx2) == .fp32)
        #expect(Precision.auto.resolved(for: .avx512) == (Precision.bf16Supported && Precision.bf16MeasuredFaster ? .bf16 : .fp32))
        #expect(Compute(threads: 1).productPrecision == Precision.selected.resolved(for: InstructionSet.selected))
        // Small layers stay fp32 whatever is asked.
        var compute = Compute(threads: 1)
        compute.precision = .bf16
        #expect(Conv2d(8, 8, kernel: 3).productPrecision(compute, height: 256, width: 256) == .fp32)
        #expect(Conv2d(32, 32, kernel: 3).productPrecision(compute, height: 32, width: 32) == .fp32)
        #expect(Conv2d(32, 32, kernel: 1).productPrecision(compute, height: 256, width: 256) == .fp32)
    }
}
