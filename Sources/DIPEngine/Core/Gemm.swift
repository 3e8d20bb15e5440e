import CKernels

/// Single-precision matrix multiply on row-major matrices:
/// C[m×n] = alpha·op(A)·op(B) + beta·C, single-threaded (the engine splits
/// work across threads itself, see Compute), with the kernels of `kernels`.
/// With beta = 0, C's old contents are not read. `scratch` holds
/// `gemmScratchCount(kernels)` floats that no other thread uses meanwhile;
/// without it the call allocates its own.
@inline(__always)
func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
           alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
           b: UnsafePointer<Float>, ldb: Int,
           beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
           kernels: InstructionSet, scratch: UnsafeMutablePointer<Float>? = nil) {
    let status = dip_sgemm(kernels.kernelID, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, scratch)
    precondition(status == 0, "the \(kernels) kernels cannot run on this CPU")
}

/// Floats of scratch memory one `sgemm` call with these kernels needs (with `.bf16`: or
/// one call of the bf16 product, whichever is more).
func gemmScratchCount(_ kernels: InstructionSet, _ precision: Precision = .fp32) -> Int {
    let fp32 = dip_sgemm_scratch_floats(kernels.kernelID)
    return precision == .fp32 ? fp32 : max(fp32, dip_gemm_bf16_scratch_floats())
}

/// C = alpha·op(A)·op(B) + beta·C as `sgemm`, with A and B rounded to bf16 as they are
/// packed and fp32 sums (AVX512-BF16; see `Precision.bf16Supported`). `scratch` holds
/// `gemmScratchCount(_, .bf16)` floats, or is nil.
@inline(__always)
func gemmBF16(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
              alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
              b: UnsafePointer<Float>, ldb: Int,
              beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
              scratch: UnsafeMutablePointer<Float>? = nil) {
    let status = dip_gemm_bf16(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, scratch)
    precondition(status == 0, "the bf16 kernels cannot run on this CPU")
}
