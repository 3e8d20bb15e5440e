// The per-path SGEMM entry points behind dip_sgemm. Each comes from one
// gemm_<path>.c file, which includes gemm_body.h with its own vector width,
// tile sizes and target attribute. Arguments are checked by the caller: all
// sizes are positive, alpha is not zero, scratch is large enough.
#ifndef CKERNELS_GEMM_PATHS_H
#define CKERNELS_GEMM_PATHS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GEMM_ENTRY_ARGS bool trans_a, bool trans_b, long m, long n, long k, float alpha, \
    const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc, float *scratch

void dip_sgemm_generic(GEMM_ENTRY_ARGS);
extern const size_t dip_sgemm_scratch_generic;

#if defined(__x86_64__)
void dip_sgemm_avx2(GEMM_ENTRY_ARGS);
extern const size_t dip_sgemm_scratch_avx2;
void dip_sgemm_avx512(GEMM_ENTRY_ARGS);
extern const size_t dip_sgemm_scratch_avx512;
void dip_sgemm_avx512_layout(GEMM_ENTRY_ARGS);
extern const size_t dip_sgemm_scratch_avx512_layout;
#endif

#endif
