import COpenBLAS

/// Single-precision matrix multiply on row-major matrices:
/// C[m×n] = alpha·op(A)·op(B) + beta·C. BLAS runs single-threaded here; the
/// engine splits work across threads itself (see Compute).
@inline(__always)
func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
           alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
           b: UnsafePointer<Float>, ldb: Int,
           beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard m > 0, n > 0, k > 0 else {
        if k == 0 && beta != 1 { for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } } }
        return
    }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// BLAS must not start its own threads inside ours.
public enum BLAS {
    private static let singleThreaded: Void = { openblas_set_num_threads(1) }()
    public static func configureSingleThreaded() { _ = singleThreaded }
}
