// Single-threaded SGEMM on the shapes the engine's convolutions produce, for
// every instruction set this machine runs, and OpenBLAS if its shared library
// can be loaded (for comparison only; nothing links it).
import CKernels
import DIPEngine
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct GemmShape {
    var name: String
    var transA = false, transB = false
    var m, n, k: Int
    var lda, ldb, ldc: Int
    var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
}

/// The three GEMMs of one 3×3 convolution tap on a band of about `band` output
/// columns (rows × padded width; the engine's bands are about 2048), with the
/// strides the engine uses: the input strip lies in a padded plane, the output
/// band is dense.
func convShapes(_ label: String, cin: Int, cout: Int, width: Int, band: Int = 2048) -> [GemmShape] {
    let wq = width + 2, rows = max(1, band / wq), n = rows * wq, plane = wq * wq
    return [
        GemmShape(name: "\(label) forward", m: cout, n: n, k: cin, lda: cin, ldb: plane, ldc: n),
        GemmShape(name: "\(label) weight grad", transB: true, m: cout, n: cin, k: n, lda: n, ldb: plane, ldc: cin),
        GemmShape(name: "\(label) input grad", transA: true, m: cin, n: n, k: cout, lda: cin, ldb: n, ldc: plane),
    ]
}

/// A 1×1 convolution at 256²: no padding, so the GEMMs work straight on the
/// tensors, whose planes are a power of two apart.
func pointwiseShapes(_ label: String, cin: Int, cout: Int) -> [GemmShape] {
    let n = 2048, plane = 65536
    return [
        GemmShape(name: "\(label) forward", m: cout, n: n, k: cin, lda: cin, ldb: plane, ldc: plane),
        GemmShape(name: "\(label) weight grad", transB: true, m: cout, n: cin, k: n, lda: plane, ldb: plane, ldc: cin),
        GemmShape(name: "\(label) input grad", transA: true, m: cin, n: n, k: cout, lda: cin, ldb: plane, ldc: plane),
    ]
}

/// The three products per tile position ξ of a Winograd F(4×4, 3×3) band (the engine's
/// bands hold about 64 tiles, a whole tile row at 512² and wider): forward Uᵀ·V, input
/// gradient the same with the adjoint filters, filter gradient M·Vᵀ.
func winogradShapes(_ label: String, cin: Int, cout: Int, tiles: Int) -> [GemmShape] {
    [GemmShape(name: "\(label) Winograd forward", transA: true, m: cout, n: tiles, k: cin, lda: cout, ldb: tiles, ldc: tiles),
     GemmShape(name: "\(label) Winograd filter grad", transB: true, m: cout, n: cin, k: tiles, lda: tiles, ldb: tiles, ldc: cin)]
}

let gemmShapes: [GemmShape] =
    winogradShapes("128←132 @512", cin: 132, cout: 128, tiles: 128)
    + winogradShapes("32←36 @512", cin: 36, cout: 32, tiles: 128)
    + winogradShapes("16←16 @256", cin: 16, cout: 16, tiles: 64)
    + convShapes("128←132 3×3 @256", cin: 132, cout: 128, width: 256)
    + convShapes("128←128 3×3 @256, 4096 band", cin: 128, cout: 128, width: 256, band: 4096)
    + convShapes("128←128 3×3 @64", cin: 128, cout: 128, width: 64)
    + pointwiseShapes("128←128 1×1 @256", cin: 128, cout: 128)
    + convShapes("128←32 3×3 @256", cin: 32, cout: 128, width: 256)
    + convShapes("16←16 3×3 @128", cin: 16, cout: 16, width: 128)
    + pointwiseShapes("3←128 1×1 @256", cin: 128, cout: 3)

/// OpenBLAS's cblas_sgemm, if libopenblas.so.0 is installed.
struct OpenBLAS {
    typealias SGEMM = @convention(c) (Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>, Int32,
                                      UnsafePointer<Float>, Int32, Float, UnsafeMutablePointer<Float>, Int32) -> Void
    let sgemm: SGEMM

    static func load() -> OpenBLAS? {
        guard let lib = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL),
              let f = dlsym(lib, "cblas_sgemm") else { return nil }
        if let threads = dlsym(lib, "openblas_set_num_threads") {
            unsafeBitCast(threads, to: (@convention(c) (Int32) -> Void).self)(1)
        }
        return OpenBLAS(sgemm: unsafeBitCast(f, to: SGEMM.self))
    }

    func run(_ s: GemmShape, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>) {
        // CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112.
        sgemm(101, s.transA ? 112 : 111, s.transB ? 112 : 111, Int32(s.m), Int32(s.n), Int32(s.k),
              1, a, Int32(s.lda), b, Int32(s.ldb), 1, c, Int32(s.ldc))
    }
}

func runGemmBench(repetitions: Int) {
    let paths = InstructionSet.supported
    let blas = OpenBLAS.load()
    let bf16 = Precision.bf16Supported
    let columns = paths.map(\.rawValue) + (bf16 ? ["bf16 (avx512)"] : []) + (blas == nil ? [] : ["OpenBLAS"])
    print("SGEMM, one thread, GFLOP/s at the fastest / median of \(repetitions) runs (each about 20 ms of the thread's CPU time,")
    print("so that time other programs take from this core on a shared machine is not counted)")
    if blas == nil { print("(libopenblas.so.0 not found: no OpenBLAS column)") }
    print(bf16 ? "bf16: operands rounded to bf16 as packed, fp32 sums (AVX512-BF16); the same flop count"
               : "(no AVX512-BF16 on this CPU: no bf16 column)")
    print("shape".padding(toLength: 46, withPad: " ", startingAt: 0) + "    m     n     k  "
          + columns.map { $0.leftPad(15) }.joined())
    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(paths.map { dip_sgemm_scratch_floats($0.id) }.max()!,
                                                                     dip_gemm_bf16_scratch_floats()))
    defer { scratch.deallocate() }
    for s in gemmShapes {
        let aCount = (s.transA ? s.k : s.m) * s.lda, bCount = (s.transB ? s.n : s.k) * s.ldb, cCount = s.m * s.ldc
        let a = UnsafeMutablePointer<Float>.allocate(capacity: aCount), b = UnsafeMutablePointer<Float>.allocate(capacity: bCount)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: cCount)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        var rng = RandomSource(seed: 3)
        for i in 0..<aCount { a[i] = rng.uniform() - 0.5 }
        for i in 0..<bCount { b[i] = rng.uniform() - 0.5 }
        c.initialize(repeating: 0, count: cCount)
        var runs: [() -> Void] = paths.map { p in
            { _ = dip_sgemm(p.id, s.transA, s.transB, s.m, s.n, s.k, 1, a, s.lda, b, s.ldb, 1, c, s.ldc, scratch) }
        }
        if bf16 { runs.append { _ = dip_gemm_bf16(s.transA, s.transB, s.m, s.n, s.k, 1, a, s.lda, b, s.ldb, 1, c, s.ldc, scratch) } }
        if let blas { runs.append { blas.run(s, a, b, c) } }
        // Enough calls per timed run to last about 20 ms on a fast path; runs of the
        // columns alternate so that a busy moment on a shared machine hits them all.
        let calls = max(1, Int(20e-3 * 80e9 / s.flops))
        var times = Array(repeating: [Double](), count: runs.count)
        for _ in 0..<repetitions {
            for (i, run) in runs.enumerated() {
                run()
                let t0 = threadCPUSeconds()
                for _ in 0..<calls { run() }
                times[i].append((threadCPUSeconds() - t0) / Double(calls))
            }
        }
        var line = s.name.padding(toLength: 46, withPad: " ", startingAt: 0)
            + String(format: "%5d %5d %5d  ", s.m, s.n, s.k)
        for t in times {
            let sorted = t.sorted()
            line += String(format: "%7.1f /%5.1f", s.flops / sorted[0] / 1e9, s.flops / sorted[sorted.count / 2] / 1e9)
        }
        print(line)
    }
    print()
}

func threadCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

extension InstructionSet {
    var id: dip_isa {
        switch self {
        case .generic: DIP_ISA_GENERIC
        case .avx2: DIP_ISA_AVX2
        case .avx512: DIP_ISA_AVX512
        }
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
