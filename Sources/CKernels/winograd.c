// Winograd's minimal filtering F(4×4, 3×3) (Lavin & Gray, "Fast Algorithms for
// Convolutional Neural Networks", 2016), interpolation points 0, ±1, ±2, ∞:
//     Y = Aᵀ·[(G·g·Gᵀ) ⊙ (Bᵀ·d·B)]·A
// for a 4×4 output tile from a 6×6 input tile d and a 3×3 filter g. Across
// channels the elementwise product becomes, for each of the 36 positions ξ of
// the 6×6 tile, one matrix product U_ξ[out×in] · V_ξ[in×tiles]: 36 multiply-adds
// per tile and channel pair instead of the direct method's 144.
#include "CKernels.h"
#include <stdlib.h>

#define WINO_CAT(a, b) a##_##b
#define WINO_NAME(a, b) WINO_CAT(a, b)

#define WINO(name) WINO_NAME(name, generic)
#include "winograd_body.h"
#undef WINO

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define WINO(name) WINO_NAME(name, avx2)
#include "winograd_body.h"
#undef WINO
#pragma clang attribute pop

#pragma clang attribute push(__attribute__((target("avx512f,avx2,fma"))), apply_to = function)
#define WINO(name) WINO_NAME(name, avx512)
#include "winograd_body.h"
#undef WINO
#pragma clang attribute pop
#endif

void dip_winograd_f43_weights(const float *w, long cout, long cin, bool adjoint, float *u) {
    for (long co = 0; co < cout; co++) {
        for (long ci = 0; ci < cin; ci++) {
            const float *f = w + (co * cin + ci) * 9;
            float g[9];
            for (int i = 0; i < 9; i++) g[i] = adjoint ? f[8 - i] : f[i];   // adjoint: rotated 180°
            float gg[6][3];                  // G·g
            for (int b = 0; b < 3; b++) {
                const float g0 = g[b], g1 = g[3 + b], g2 = g[6 + b];
                gg[0][b] = g0 / 4;
                gg[1][b] = -(g0 + g1 + g2) / 6;
                gg[2][b] = -(g0 - g1 + g2) / 6;
                gg[3][b] = g0 / 24 + g1 / 12 + g2 / 6;
                gg[4][b] = g0 / 24 - g1 / 12 + g2 / 6;
                gg[5][b] = g2;
            }
            for (int a = 0; a < 6; a++) {    // (G·g)·Gᵀ, row a
                const float g0 = gg[a][0], g1 = gg[a][1], g2 = gg[a][2];
                const float row[6] = {g0 / 4, -(g0 + g1 + g2) / 6, -(g0 - g1 + g2) / 6,
                                      g0 / 24 + g1 / 12 + g2 / 6, g0 / 24 - g1 / 12 + g2 / 6, g2};
                for (int b = 0; b < 6; b++) {
                    const long xi = 6 * a + b;
                    // Each ξ's matrix is stored transposed (input channels × output
                    // channels of the product), so that packing it for SGEMM is a copy.
                    if (adjoint) u[(xi * cout + co) * cin + ci] = row[b];
                    else u[(xi * cin + ci) * cout + co] = row[b];
                }
            }
        }
    }
}

size_t dip_winograd_f43_scratch_floats(long cin, long cout, long tiles_x, long tile_rows) {
    const long n = tiles_x * tile_rows;
    return (size_t)(36 * (cin + cout) * n + 64 * (tiles_x + 1));
}

// The input tiles of a band, transformed by the path's code (see input in winograd_body.h).
static void input_tiles(dip_isa isa, const float *src, long cin, long src_plane, const float *scale, const float *offset,
                        const long *row_off, const long *col_idx, long tiles_x, long ty0, long ty1,
                        float *v, long n, float *buf) {
    // The longest run of columns read straight from a source row (col_idx[q] = q + shift).
    const long width = 4 * tiles_x + 2;
    long run_lo = 0, run_hi = 0, shift = 0;
    for (long q = 0; q < width;) {
        if (col_idx[q] < 0) { q++; continue; }
        long e = q + 1;
        while (e < width && col_idx[e] == col_idx[q] + (e - q)) e++;
        if (e - q > run_hi - run_lo) { run_lo = q; run_hi = e; shift = col_idx[q] - q; }
        q = e;
    }
    switch (isa) {
#if defined(__x86_64__)
    case DIP_ISA_AVX512:
        input_avx512(src, cin, src_plane, scale, offset, row_off, col_idx, run_lo, run_hi, shift, tiles_x, ty0, ty1, v, n, buf);
        break;
    case DIP_ISA_AVX2:
        input_avx2(src, cin, src_plane, scale, offset, row_off, col_idx, run_lo, run_hi, shift, tiles_x, ty0, ty1, v, n, buf);
        break;
#endif
    default:
        input_generic(src, cin, src_plane, scale, offset, row_off, col_idx, run_lo, run_hi, shift, tiles_x, ty0, ty1, v, n, buf);
    }
}

// One ξ's product in the band's precision: bf16 operands with fp32 sums, or fp32 throughout.
static void product(dip_isa isa, dip_precision precision, bool trans_a, bool trans_b, long m, long n, long k,
                    const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc, float *scratch) {
    if (precision == DIP_PRECISION_BF16) dip_gemm_bf16(trans_a, trans_b, m, n, k, 1, a, lda, b, ldb, beta, c, ldc, scratch);
    else dip_sgemm(isa, trans_a, trans_b, m, n, k, 1, a, lda, b, ldb, beta, c, ldc, scratch);
}

static bool runs(dip_isa isa, dip_precision precision) {
    return dip_isa_supported(isa) && (precision == DIP_PRECISION_FP32 || dip_bf16_supported());
}

int dip_winograd_f43(dip_isa isa, dip_precision precision, const float *src, long cin, long src_plane,
                     const float *scale, const float *shift, const long *row_off, const long *col_idx, long tiles_x, long ty0, long ty1,
                     const float *u, long cout, const float *bias,
                     float *dst, long dst_plane, long dst_ld, long out_h, long out_w,
                     long crop, float *border, double *stats, float *scratch, float *gemm_scratch) {
    if (!runs(isa, precision) || (stats && crop > 0)) return -1;
    const long n = (ty1 - ty0) * tiles_x;
    if (n <= 0) return 0;
    float *v = scratch, *m = v + 36 * cin * n, *buf = m + 36 * cout * n;
    input_tiles(isa, src, cin, src_plane, scale, shift, row_off, col_idx, tiles_x, ty0, ty1, v, n, buf);
    for (long xi = 0; xi < 36; xi++) {
        product(isa, precision, true, false, cout, n, cin, u + xi * cout * cin, cout,
                v + xi * cin * n, n, 0, m + xi * cout * n, n, gemm_scratch);
    }
    switch (isa) {
#if defined(__x86_64__)
    case DIP_ISA_AVX512:
        output_avx512(m, n, cout, tiles_x, ty0, ty1, bias, dst, dst_plane, dst_ld, out_h, out_w, crop, border, stats, buf);
        break;
    case DIP_ISA_AVX2:
        output_avx2(m, n, cout, tiles_x, ty0, ty1, bias, dst, dst_plane, dst_ld, out_h, out_w, crop, border, stats, buf);
        break;
#endif
    default:
        output_generic(m, n, cout, tiles_x, ty0, ty1, bias, dst, dst_plane, dst_ld, out_h, out_w, crop, border, stats, buf);
    }
    return 0;
}

int dip_winograd_f43_filter_gradient(dip_isa isa, dip_precision precision, const float *src, long cin, long src_plane,
                                     const float *scale, const float *shift, const long *row_off, const long *col_idx, long tiles_x, long ty0, long ty1,
                                     const float *dy, long cout, long dy_plane, long dy_ld, long out_h, long out_w,
                                     float *du, float *scratch, float *gemm_scratch) {
    if (!runs(isa, precision)) return -1;
    const long n = (ty1 - ty0) * tiles_x;
    if (n <= 0) return 0;
    float *v = scratch, *m = v + 36 * cin * n, *buf = m + 36 * cout * n;
    input_tiles(isa, src, cin, src_plane, scale, shift, row_off, col_idx, tiles_x, ty0, ty1, v, n, buf);
    switch (isa) {
#if defined(__x86_64__)
    case DIP_ISA_AVX512:
        gradient_tiles_avx512(dy, cout, dy_plane, dy_ld, out_h, out_w, tiles_x, ty0, ty1, m, n, buf);
        break;
    case DIP_ISA_AVX2:
        gradient_tiles_avx2(dy, cout, dy_plane, dy_ld, out_h, out_w, tiles_x, ty0, ty1, m, n, buf);
        break;
#endif
    default:
        gradient_tiles_generic(dy, cout, dy_plane, dy_ld, out_h, out_w, tiles_x, ty0, ty1, m, n, buf);
    }
    // dU_ξ += M_ξ · V_ξᵀ: the gradient of the transformed filters, summed over the band's tiles.
    for (long xi = 0; xi < 36; xi++) {
        product(isa, precision, false, true, cout, cin, n, m + xi * cout * n, n,
                v + xi * cin * n, n, 1, du + xi * cout * cin, cin, gemm_scratch);
    }
    return 0;
}

void dip_winograd_f43_filter_gradient_finish(const float *du, long parts, long cout, long cin, float *dw) {
    const long stride = 36 * cout * cin;
    for (long co = 0; co < cout; co++) {
        for (long ci = 0; ci < cin; ci++) {
            float d[36];
            for (int xi = 0; xi < 36; xi++) {
                float sum = 0;
                for (long p = 0; p < parts; p++) sum += du[p * stride + (xi * cout + co) * cin + ci];
                d[xi] = sum;
            }
            float h[6][3];                   // dU·G, row by row
            for (int a = 0; a < 6; a++) {
                const float *e = d + 6 * a;
                h[a][0] = e[0] / 4 - (e[1] + e[2]) / 6 + (e[3] + e[4]) / 24;
                h[a][1] = (e[2] - e[1]) / 6 + (e[3] - e[4]) / 12;
                h[a][2] = -(e[1] + e[2]) / 6 + (e[3] + e[4]) / 6 + e[5];
            }
            float *g = dw + (co * cin + ci) * 9;
            for (int b = 0; b < 3; b++) {    // Gᵀ·(dU·G), column by column
                const float e0 = h[0][b], e1 = h[1][b], e2 = h[2][b], e3 = h[3][b], e4 = h[4][b], e5 = h[5][b];
                g[b] += e0 / 4 - (e1 + e2) / 6 + (e3 + e4) / 24;
                g[3 + b] += (e2 - e1) / 6 + (e3 - e4) / 12;
                g[6 + b] += -(e1 + e2) / 6 + (e3 + e4) / 6 + e5;
            }
        }
    }
}
