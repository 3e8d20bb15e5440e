// dip_sgemm: checks the arguments and the path, handles the cases with no
// product to form, and hands the rest to the path's implementation.
#include "CKernels.h"
#include "gemm_paths.h"
#include <stdlib.h>

size_t dip_sgemm_scratch_floats(dip_isa isa) {
    switch (isa) {
    case DIP_ISA_GENERIC: return dip_sgemm_scratch_generic;
#if defined(__x86_64__)
    case DIP_ISA_AVX2: return dip_sgemm_scratch_avx2;
    case DIP_ISA_AVX512: return dip_sgemm_scratch_avx512;
#endif
    default: return 0;
    }
}

// C = beta·C, with beta = 0 writing zeros without reading C (it may hold NaN).
static void scale(long m, long n, float beta, float *c, long ldc) {
    if (beta == 1) return;
    for (long i = 0; i < m; i++) {
        float *row = c + i * ldc;
        if (beta == 0) {
            for (long j = 0; j < n; j++) row[j] = 0;
        } else {
            for (long j = 0; j < n; j++) row[j] *= beta;
        }
    }
}

int dip_sgemm(dip_isa isa, bool trans_a, bool trans_b, long m, long n, long k,
              float alpha, const float *a, long lda, const float *b, long ldb,
              float beta, float *c, long ldc, float *scratch) {
    if (!dip_isa_supported(isa)) return -1;
    if (m <= 0 || n <= 0) return 0;
    if (k <= 0 || alpha == 0) {     // as BLAS: A and B are not read
        scale(m, n, beta, c, ldc);
        return 0;
    }
    float *owned = 0;
    if (!scratch) {
        owned = malloc(dip_sgemm_scratch_floats(isa) * sizeof(float));
        if (!owned) abort();
        scratch = owned;
    }
    switch (isa) {
    case DIP_ISA_GENERIC:
        dip_sgemm_generic(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, scratch);
        break;
#if defined(__x86_64__)
    case DIP_ISA_AVX2:
        dip_sgemm_avx2(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, scratch);
        break;
    case DIP_ISA_AVX512:
        dip_sgemm_avx512(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, scratch);
        break;
#endif
    }
    free(owned);
    return 0;
}

int dip_sgemm_avx512_layout_on_avx2(bool trans_a, bool trans_b, long m, long n, long k,
                                    float alpha, const float *a, long lda, const float *b, long ldb,
                                    float beta, float *c, long ldc) {
#if defined(__x86_64__)
    if (!dip_isa_supported(DIP_ISA_AVX2)) return -1;
    if (m <= 0 || n <= 0) return 0;
    if (k <= 0 || alpha == 0) {
        scale(m, n, beta, c, ldc);
        return 0;
    }
    float *scratch = malloc(dip_sgemm_scratch_avx512_layout * sizeof(float));
    if (!scratch) abort();
    dip_sgemm_avx512_layout(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, scratch);
    free(scratch);
    return 0;
#else
    (void)trans_a; (void)trans_b; (void)m; (void)n; (void)k; (void)alpha; (void)a; (void)lda;
    (void)b; (void)ldb; (void)beta; (void)c; (void)ldc;
    return -1;
#endif
}
