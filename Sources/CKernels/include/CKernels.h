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

/// The number format of the convolutions' matrix products. Sums are fp32 either way;
/// with BF16 the two operands are rounded to bfloat16 (8 significant bits) as they are
/// packed, which AVX512-BF16 multiplies twice as densely (vdpbf16ps).
typedef enum {
    DIP_PRECISION_FP32 = 0,
    DIP_PRECISION_BF16 = 1,
} dip_precision;

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

/// Whether this CPU and operating system run the bf16 kernels: AVX512-BF16 with
/// AVX-512F/BW/VL, and ZMM and opmask state saved by the OS.
bool dip_bf16_supported(void);

/// Floats of scratch memory one `dip_gemm_bf16` call needs (for any matrix sizes).
size_t dip_gemm_bf16_scratch_floats(void);

/// dip_sgemm's product with op(A) and alpha·op(B) rounded to bf16 (round to nearest
/// even) as they are packed, multiplied and summed in fp32 by AVX512-BF16; beta·C and
/// the sum over k slices in fp32. Same arguments and scratch rules as dip_sgemm.
/// Returns 0, or -1 when the CPU lacks AVX512-BF16 (nothing is done).
int dip_gemm_bf16(bool trans_a, bool trans_b, long m, long n, long k,
                  float alpha, const float *a, long lda, const float *b, long ldb,
                  float beta, float *c, long ldc, float *scratch);

/// Winograd F(4×4, 3×3): the filters of a stride-1 3×3 convolution (w is
/// cout×cin×3×3) transformed to u = G·g·Gᵀ, stored as 36 matrices in×out
/// (u[(ξ·cin + ci)·cout + co]). With `adjoint`, the filters of the input
/// gradient instead: each rotated by 180°, as 36 matrices out×in.
void dip_winograd_f43_weights(const float *w, long cout, long cin, bool adjoint, float *u);

/// Floats of scratch one dip_winograd_f43 call on `tile_rows` rows of
/// `tiles_x` tiles needs.
size_t dip_winograd_f43_scratch_floats(long cin, long cout, long tiles_x, long tile_rows);

/// One band of a stride-1 3×3 convolution by Winograd F(4×4, 3×3), single-threaded:
/// output rows 4·ty0 ..< 4·ty1 (clipped to out_h) of every output channel,
///     dst[co][y][x] = bias[co] + Σ_ci Σ_ky,kx g[co][ci][ky][kx] · P[ci][y + ky][x + kx],
/// where P is a virtual padded input: P[c][q][r] = src[c·src_plane + row_off[q] + col_idx[r]],
/// or 0 where row_off[q] or col_idx[r] is −1 (row_off has 4·ty1 + 2 entries,
/// col_idx 4·tiles_x + 2; any padding is expressed by these maps). `u` is from
/// dip_winograd_f43_weights; bias may be NULL; dst rows are `dst_ld` apart.
/// With `scale` and `shift` (per input channel; else NULL), P is read from
/// src·scale[c] + shift[c] instead of src (a batch norm applied as the input is read;
/// zeros of the padding stay zeros).
/// With crop > 0 (the input gradient of a padded convolution, whose padded output is
/// cropped back), only rows and columns crop ..< out − crop go to dst, shifted to start
/// at 0; the ring around them goes to `border`: first the 2·crop cut rows of every
/// channel (cout × 2·crop × out_w: the top ones, then the bottom ones), then the cut
/// columns of every other row (cout × out_h × 2·crop: left ones, then right ones).
/// With `stats` (only without crop), each output channel's sum and sum of squares over
/// the band's rows are added to stats[2·co] and stats[2·co + 1] as the rows are written:
/// a following batch norm's statistics without a pass of its own.
/// With BF16 precision the 36 matrix products per band run on dip_gemm_bf16 (the
/// transforms stay fp32); `gemm_scratch` then holds dip_gemm_bf16_scratch_floats().
/// Returns 0, or −1 when the path or precision is not supported here (or stats with crop).
int dip_winograd_f43(dip_isa isa, dip_precision precision, const float *src, long cin, long src_plane,
                     const float *scale, const float *shift, const long *row_off, const long *col_idx, long tiles_x, long ty0, long ty1,
                     const float *u, long cout, const float *bias,
                     float *dst, long dst_plane, long dst_ld, long out_h, long out_w,
                     long crop, float *border, double *stats, float *scratch, float *gemm_scratch);

/// One band's share of a stride-1 3×3 convolution's filter gradient by Winograd:
/// the input tiles (src, scale, shift, maps and band as for dip_winograd_f43) and the output
/// gradient's 4×4 tiles (dy, cout channels, out_h × out_w, rows dy_ld apart)
/// transformed, and du[ξ][co][ci] += Σ_tiles M_ξ[co]·V_ξ[ci] (36 × cout × cin,
/// summed into), the products in `precision` as for dip_winograd_f43.
/// Returns 0, or −1 when the path or precision is not supported here.
int dip_winograd_f43_filter_gradient(dip_isa isa, dip_precision precision, const float *src, long cin, long src_plane,
                                     const float *scale, const float *shift, const long *row_off, const long *col_idx, long tiles_x, long ty0, long ty1,
                                     const float *dy, long cout, long dy_plane, long dy_ld, long out_h, long out_w,
                                     float *du, float *scratch, float *gemm_scratch);

/// dw[co][ci][3][3] += Gᵀ·(Σ_p du_p)·G: the filter gradient from `parts` partial
/// sums of dip_winograd_f43_filter_gradient, each 36 × cout × cin, one after another.
void dip_winograd_f43_filter_gradient_finish(const float *du, long parts, long cout, long cin, float *dw);

#endif
