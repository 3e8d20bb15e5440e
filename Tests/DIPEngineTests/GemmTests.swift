import CKernels
import Testing
@testable import DIPEngine

/// The SGEMM of every instruction set this machine runs, against a double-precision
/// definition: all transpose combinations, sizes that are not multiples of the
/// register tiles or the cache blocks, alpha and beta of 0, 1 and other values,
/// leading dimensions wider than the matrices, and beta = 0 over NaN.
@Suite("SGEMM")
struct GemmTests {
    struct Case: CustomStringConvertible {
        var transA: Bool, transB: Bool
        var m: Int, n: Int, k: Int
        var alpha: Float, beta: Float
        var pad: Int                     // extra columns in every leading dimension
        var description: String {
            "\(transA ? "T" : "N")\(transB ? "T" : "N") m\(m) n\(n) k\(k) alpha \(alpha) beta \(beta) pad \(pad)"
        }
    }

    /// Every transpose combination over odd sizes, alpha and beta cycling through
    /// their special values, and some larger shapes that cross each cache block
    /// (m > 144 rows of A; k > 256, so that several slices of k add into C; n wider
    /// than a block of B on every path).
    static let cases: [Case] = {
        var cases: [Case] = []
        let sizes = [1, 5, 17, 33, 129]
        let alphas: [Float] = [1, 0.5, -2, 0], betas: [Float] = [0, 1, 0.7]
        var i = 0
        for transA in [false, true] {
            for transB in [false, true] {
                for m in sizes {
                    for n in sizes {
                        for k in sizes where (m * n * k) % 3 == i % 3 || max(m, n, k) < 33 {
                            cases.append(Case(transA: transA, transB: transB, m: m, n: n, k: k,
                                              alpha: alphas[i % 4], beta: betas[i % 3], pad: i % 3 == 0 ? 0 : 1 + i % 5))
                            i += 1
                        }
                    }
                }
                cases.append(Case(transA: transA, transB: transB, m: 150, n: 40, k: 300, alpha: 1, beta: 0, pad: 3))
                cases.append(Case(transA: transA, transB: transB, m: 5, n: 1900, k: 300, alpha: -1, beta: 0.5, pad: 0))
                cases.append(Case(transA: transA, transB: transB, m: 13, n: 35, k: 0, alpha: 1, beta: 0.5, pad: 2))
            }
        }
        return cases
    }()

    /// Runs one case with `gemm` and returns a description of the worst mismatch, if any.
    static func check(_ c: Case, seed: UInt64,
                      gemm: (UnsafePointer<Float>, Int, UnsafePointer<Float>, Int, UnsafeMutablePointer<Float>, Int) -> Void) -> String? {
        let lda = (c.transA ? c.m : c.k) + c.pad, ldb = (c.transB ? c.k : c.n) + c.pad, ldc = c.n + c.pad
        let aRows = c.transA ? c.k : c.m, bRows = c.transB ? c.n : c.k
        var rng = RandomSource(seed: seed)
        // The padding columns hold NaN: reading them would show.
        var a = [Float](repeating: .nan, count: max(1, aRows * lda))
        var b = [Float](repeating: .nan, count: max(1, bRows * ldb))
        var cm = [Float](repeating: .nan, count: c.m * ldc)
        for r in 0..<aRows { for j in 0..<(lda - c.pad) { a[r * lda + j] = 2 * rng.uniform() - 1 } }
        for r in 0..<bRows { for j in 0..<(ldb - c.pad) { b[r * ldb + j] = 2 * rng.uniform() - 1 } }
        if c.beta != 0 { for i in 0..<c.m { for j in 0..<c.n { cm[i * ldc + j] = 2 * rng.uniform() - 1 } } }
        let before = cm
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                cm.withUnsafeMutableBufferPointer { pc in
                    gemm(pa.baseAddress!, lda, pb.baseAddress!, ldb, pc.baseAddress!, ldc)
                }
            }
        }
        // γ-bound of a k-term float sum, with room for alpha folded into A and the beta update.
        let eps = Double(Float.ulpOfOne)
        var worst: (excess: Double, what: String)? = nil
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
                let bound = 2 * Double(c.k + 4) * eps * (abs(Double(c.alpha)) * magnitude + abs(Double(c.beta) * old)) + 1e-30
                let got = Double(cm[i * ldc + j])
                let error = abs(got - expected)
                if !(error <= bound), worst == nil || !(error / bound <= worst!.excess) {
                    worst = (error.isNaN ? .infinity : error / bound, "C[\(i), \(j)] = \(got), expected \(expected) (bound \(bound))")
                }
            }
            // The padding of C is left alone.
            for j in c.n..<ldc where !before[i * ldc + j].isNaN || !cm[i * ldc + j].isNaN {
                return "C[\(i), \(j)] is padding but was written"
            }
        }
        return worst.map { "\(c): \($0.what)" }
    }

    @Test("each instruction set", arguments: InstructionSet.supported)
    func matchesDefinition(_ kernels: InstructionSet) {
        var failures: [String] = []
        for (index, c) in Self.cases.enumerated() {
            let problem = Self.check(c, seed: UInt64(index)) { a, lda, b, ldb, cp, ldc in
                sgemm(transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: c.alpha, a: a, lda: lda,
                      b: b, ldb: ldb, beta: c.beta, c: cp, ldc: ldc, kernels: kernels)
            }
            if let problem { failures.append(problem) }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(Self.cases.count) cases fail: \(failures.prefix(5))")
    }

    /// The same cases with scratch memory from the caller, as the convolutions pass it.
    @Test("with the caller's scratch", arguments: InstructionSet.supported)
    func callerScratch(_ kernels: InstructionSet) {
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: gemmScratchCount(kernels))
        defer { scratch.deallocate() }
        for (index, c) in Self.cases.enumerated() where index % 4 == 0 {
            let problem = Self.check(c, seed: UInt64(index)) { a, lda, b, ldb, cp, ldc in
                sgemm(transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: c.alpha, a: a, lda: lda,
                      b: b, ldb: ldb, beta: c.beta, c: cp, ldc: ldc, kernels: kernels, scratch: scratch)
            }
            #expect(problem == nil, "\(problem ?? "")")
        }
    }

    /// The AVX-512 path's tiles and blocks (12×32, 16-float vectors), compiled for
    /// AVX2: its packing, blocking and edges are checked on machines without AVX-512.
    @Test(.enabled(if: InstructionSet.avx2.isSupported))
    func avx512LayoutOnAVX2() {
        var failures: [String] = []
        for (index, c) in Self.cases.enumerated() {
            let problem = Self.check(c, seed: UInt64(index)) { a, lda, b, ldb, cp, ldc in
                let status = dip_sgemm_avx512_layout_on_avx2(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a, lda,
                                                             b, ldb, c.beta, cp, ldc)
                precondition(status == 0)
            }
            if let problem { failures.append(problem) }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(Self.cases.count) cases fail: \(failures.prefix(5))")
    }

    @Test func instructionSets() throws {
        let supported = InstructionSet.supported
        #expect(supported.first == .generic)
        #expect(supported.contains(InstructionSet.best))
        #expect(supported == supported.sorted())
        #expect(try InstructionSet.named("auto") == InstructionSet.best)
        #expect(try InstructionSet.named("generic") == .generic)
        #expect(throws: InstructionSetError.unknown("sse9")) { try InstructionSet.named("sse9") }
        // What the CPU reports and what the kernels accept agree.
        let f = CPUFeatures.current
        #expect(InstructionSet.avx2.isSupported == (f.avx && f.avx2 && f.fma && f.osSavesYMM))
        #expect(InstructionSet.avx512.isSupported == (f.avx512f && f.avx2 && f.fma && f.osSavesYMM && f.osSavesZMM))
        for set in InstructionSet.allCases where !set.isSupported {
            #expect(throws: InstructionSetError.unsupported(set)) { try InstructionSet.named(set.rawValue) }
            #expect(throws: InstructionSetError.unsupported(set)) { try Compute(threads: 1, instructionSet: set) }
            #expect(throws: InstructionSetError.unsupported(set)) { try InstructionSet.select(set) }
            #expect("\(InstructionSetError.unsupported(set))".contains("cannot run the \(set) kernels"))
        }
        for set in supported { #expect(try Compute(threads: 1, instructionSet: set).instructionSet == set) }
    }
}
