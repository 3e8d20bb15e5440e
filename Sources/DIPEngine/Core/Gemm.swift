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

/// Floats of scratch memory one `sgemm` call with these kernels needs.
func gemmScratchCount(_ kernels: InstructionSet) -> Int {
    dip_sgemm_scratch_floats(kernels.kernelID)
}
