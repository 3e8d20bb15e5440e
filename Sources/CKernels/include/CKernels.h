#ifndef CKERNELS_H
#define CKERNELS_H

#include <stdbool.h>
#include <stddef.h>

/// Instruction-set paths of the numeric kernels. Each path is compiled for its
/// instructions only inside its own functions, so the library runs on any
/// x86-64 CPU (and elsewhere, with the generic path) and picks at run time.
typedef enum {
    DIP_ISA_GENERIC = 0,   ///< portable C with clang vector types: any CPU
    DIP_ISA_AVX2 = 1,      ///< AVX2 + FMA, 256-bit vectors
    DIP_ISA_AVX512 = 2,    ///< AVX-512F, 512-bit vectors
} dip_isa;

/// What cpuid and xgetbv report. The `os_*` flags say whether the operating
/// system saves the registers on context switches; without that the
/// instructions cannot be used even if the CPU has them.
typedef struct {
    char vendor[13];
    bool sse2, fma, avx, avx2;
    bool avx512f, avx512dq, avx512bw, avx512vl, avx512_bf16;
    bool amx_tile, amx_bf16;
    bool os_ymm, os_zmm;
} dip_cpu_features;

/// The features of the CPU this runs on (read once, then cached).
void dip_cpu_features_get(dip_cpu_features *out);

/// Whether this CPU and operating system can run the path.
bool dip_isa_supported(dip_isa isa);

/// The fastest path this CPU supports.
dip_isa dip_isa_best(void);

/// Floats of scratch memory one `dip_sgemm` call of this path needs (for any
/// matrix sizes): room for the packed blocks of A and B.
size_t dip_sgemm_scratch_floats(dip_isa isa);

/// Single-threaded SGEMM on row-major matrices:
///     C[m×n] = alpha·op(A)·op(B) + beta·C,
/// op(A) is m×k (A is k×m when trans_a), op(B) is k×n (B is n×k when trans_b).
/// With beta = 0, C is only written, never read. `scratch` holds
/// `dip_sgemm_scratch_floats(isa)` floats used by this call only (one per
/// thread), or is NULL to allocate for the call.
/// Returns 0, or -1 when the path is not supported here (nothing is done).
int dip_sgemm(dip_isa isa, bool trans_a, bool trans_b, long m, long n, long k,
              float alpha, const float *a, long lda, const float *b, long ldb,
              float beta, float *c, long ldc, float *scratch);

/// For tests: dip_sgemm with the AVX-512 path's tile and block sizes but
/// compiled for AVX2, so that machines without AVX-512 check its packing,
/// blocking and edges. Returns -1 unless AVX2 is supported.
int dip_sgemm_avx512_layout_on_avx2(bool trans_a, bool trans_b, long m, long n, long k,
                                    float alpha, const float *a, long lda, const float *b, long ldb,
                                    float beta, float *c, long ldc);

#endif
