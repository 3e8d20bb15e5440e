// AVX512-BF16: C = alpha·op(A)·op(B) + beta·C with A and B rounded to bf16
// (round to nearest even, vcvtne2ps2bf16) as they are packed, and products
// summed in fp32 by vdpbf16ps. vdpbf16ps adds two products per fp32 lane: lane
// j of one instruction gets a[2j]·b[2j] + a[2j+1]·b[2j+1]. So both operands are
// packed in pairs of consecutive k, each pair one 32-bit word (the even k in the
// low half): B's micro-panels hold, per k pair, NR words (one per column); A's,
// per k pair, MR words, each broadcast to every lane in turn.
//
// Same blocking as gemm_body.h (Goto/BLIS), with its own packing. The inputs
// stay fp32 in memory; only the packed copies are bf16, half the bytes.
// Compiled for these instructions inside its functions only; dip_gemm_bf16
// checks the CPU and the OS first.
#include "CKernels.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MR 8          // rows of a register tile
#define NR 32         // columns: two vectors of 16 fp32 sums
#define KC 384        // k per slice (192 pairs)
#define MC 128
#define NBW (128 * 1024)    // words (bf16 pairs) of the packed block of B: 512 KB

_Static_assert(KC % 2 == 0, "slices hold whole k pairs");
_Static_assert(MC % MR == 0, "blocks of A hold whole micro-panels");
_Static_assert(NBW >= (KC / 2) * NR, "the block of B holds one micro-panel");

static inline long min_l(long x, long y) { return x < y ? x : y; }

// Words: packed A block, packed B block, and 64 bytes for alignment.
size_t dip_gemm_bf16_scratch_floats(void) { return (size_t)(MC * (KC / 2) + NBW + 16); }

bool dip_bf16_supported(void) {
    dip_cpu_features f;
    dip_cpu_features_get(&f);
    return f.avx512_bf16 && f.avx512f && f.avx512bw && f.avx512vl && f.os_ymm && f.os_zmm;
}

#if defined(__x86_64__)
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx512f,avx512bf16,avx512bw,avx512vl"))), apply_to = function)

static inline __mmask16 first(long w) { return w >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << w) - 1); }

// 16 fp32 from two rows (lo, hi) → 16 words, word x = (bf16(lo[x]), bf16(hi[x])).
static inline __m512i pairs_across(__m512 lo, __m512 hi) {
    const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                                23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    // cvtne2ps(hi, lo): bf16 of lo in elements 0–15, of hi in 16–31.
    return _mm512_permutexvar_epi16(interleave, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
}

// Panels from a source whose rows run along the panels' width (op(B) = B,
// op(A) = Aᵀ): rows 2p and 2p+1 of src (ld apart; kc rows) give, for x < width,
// word p·R + x % R of panel x / R. The last panel is padded with zeros, as is
// an odd kc's last pair.
static void pack_along(uint32_t *restrict dst, const float *restrict src, long ld, long kc,
                       long width, const int R, float scale) {
    const long kp = (kc + 1) / 2, padded = (width + R - 1) / R * R;
    const __m512 s = _mm512_set1_ps(scale);
    for (long p = 0; p < kp; p++) {
        const float *r0 = src + 2 * p * ld, *r1 = 2 * p + 1 < kc ? r0 + ld : 0;
        for (long x0 = 0; x0 < padded; x0 += 16) {
            const __mmask16 m = x0 < width ? first(width - x0) : 0;
            __m512 lo = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, r0 + x0), s);
            __m512 hi = r1 ? _mm512_mul_ps(_mm512_maskz_loadu_ps(m, r1 + x0), s) : _mm512_setzero_ps();
            __m512i w = pairs_across(lo, hi);
            if (R % 16 == 0) {      // a chunk of 16 never straddles two panels
                _mm512_storeu_si512(dst + (x0 / R) * kp * R + p * R + x0 % R, w);
                continue;
            }
            uint32_t t[16];
            _mm512_storeu_si512(t, w);
            for (long q = 0; q < 16 && x0 + q < padded;) {
                const long x = x0 + q, col = x % R, len = min_l(16 - q, min_l(R - col, padded - x));
                memcpy(dst + (x / R) * kp * R + p * R + col, t + q, (size_t)len * 4);
                q += len;
            }
        }
    }
}

// One row running along k (kc floats) → kc/2 words (the last half zero for an odd kc).
static void pairs_along(uint32_t *restrict dst, const float *restrict src, long kc, float scale) {
    const __m512 s = _mm512_set1_ps(scale);
    for (long p0 = 0; p0 < kc; p0 += 32) {
        __m512 lo = _mm512_mul_ps(_mm512_maskz_loadu_ps(first(kc - p0), src + p0), s);
        __m512 hi = p0 + 16 < kc ? _mm512_mul_ps(_mm512_maskz_loadu_ps(first(kc - p0 - 16), src + p0 + 16), s)
                                 : _mm512_setzero_ps();
        // In memory order: element 2p and 2p+1 of the 32 form word p.
        __m512i w = (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
        const long words = min_l(16, (kc - p0 + 1) / 2);
        _mm512_mask_storeu_epi32(dst + p0 / 2, first(words), w);
    }
}

// Panels from a source whose rows run along k (op(A) = A, op(B) = Bᵀ): row i
// (i < count) of src becomes word p·R + i of the panel for every k pair p;
// rows count..<R are zeros.
static void pack_across(uint32_t *restrict dst, const float *restrict src, long ld, long kc,
                        const int R, int count, float scale) {
    const long kp = (kc + 1) / 2;
    uint32_t row[KC / 2];
    for (int i = 0; i < R; i++) {
        if (i < count) pairs_along(row, src + i * ld, kc, scale);
        else memset(row, 0, (size_t)kp * 4);
        for (long p = 0; p < kp; p++) dst[p * R + i] = row[p];
    }
}

static void pack_a(uint32_t *restrict dst, bool trans, const float *a, long lda,
                   long ic, long mc, long pc, long kc, float alpha) {
    if (trans) {
        pack_along(dst, a + pc * lda + ic, lda, kc, mc, MR, alpha);
        return;
    }
    const long kp = (kc + 1) / 2;
    for (long ir = 0; ir < mc; ir += MR) {
        pack_across(dst, a + (ic + ir) * lda + pc, lda, kc, MR, (int)min_l(MR, mc - ir), alpha);
        dst += kp * MR;
    }
}

static void pack_b(uint32_t *restrict dst, bool trans, const float *b, long ldb,
                   long pc, long kc, long jc, long nc) {
    if (!trans) {
        pack_along(dst, b + pc * ldb + jc, ldb, kc, nc, NR, 1);
        return;
    }
    const long kp = (kc + 1) / 2;
    for (long jr = 0; jr < nc; jr += NR) {
        pack_across(dst, b + (jc + jr) * ldb + pc, ldb, kc, NR, (int)min_l(NR, nc - jr), 1);
        dst += kp * NR;
    }
}

// C[mr×nr] = A-panel · B-panel + beta·C over kp k pairs, MR × VECS·16 sums in
// registers. With beta = 0, C is not read.
static inline __attribute__((always_inline))
void kernel(const int VECS, long kp, const uint32_t *restrict a, const uint32_t *restrict b,
            float *restrict c, long ldc, float beta, int mr, int nr) {
    __m512 acc[MR][2];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < VECS; j++) acc[i][j] = _mm512_setzero_ps();
    for (int i = 0; i < mr; i++) __builtin_prefetch(c + i * ldc, 1);
    for (long p = 0; p < kp; p++) {
        __m512bh bv[2];
        for (int j = 0; j < VECS; j++) bv[j] = (__m512bh)_mm512_loadu_si512(b + 16 * j);
        for (int i = 0; i < MR; i++) {
            __m512bh ai = (__m512bh)_mm512_set1_epi32((int)a[i]);
            for (int j = 0; j < VECS; j++) acc[i][j] = _mm512_dpbf16_ps(acc[i][j], ai, bv[j]);
        }
        a += MR;
        b += NR;
    }
    const __m512 vbeta = _mm512_set1_ps(beta);
    for (int i = 0; i < mr; i++) {
        float *row = c + i * ldc;
        for (int j = 0; j < VECS; j++) {
            const long left = nr - 16 * j;
            if (left <= 0) break;
            const __mmask16 m = first(left);
            __m512 r = acc[i][j];
            if (beta != 0) r = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(m, row + 16 * j), r);
            _mm512_mask_storeu_ps(row + 16 * j, m, r);
        }
    }
}

__attribute__((noinline)) static void kernel_full(long kp, const uint32_t *a, const uint32_t *b, float *c, long ldc, float beta, int mr, int nr) {
    kernel(2, kp, a, b, c, ldc, beta, mr, nr);
}
__attribute__((noinline)) static void kernel_half(long kp, const uint32_t *a, const uint32_t *b, float *c, long ldc, float beta, int mr, int nr) {
    kernel(1, kp, a, b, c, ldc, beta, mr, nr);
}

static void gemm(bool trans_a, bool trans_b, long m, long n, long k, float alpha,
                 const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc, float *scratch) {
    uint32_t *packedA = (uint32_t *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    uint32_t *packedB = packedA + MC * (KC / 2);
    // Equal slices of k (even, so only the last may end on half a pair) and of m.
    const long kSlices = (k + KC - 1) / KC;
    const long kcMax = ((k + kSlices - 1) / kSlices + 1) / 2 * 2;
    const long mBlocks = (m + MC - 1) / MC;
    const long mcMax = ((m + mBlocks - 1) / mBlocks + MR - 1) / MR * MR;
    const long ncMax = NBW / (kcMax / 2) / NR * NR;
    for (long jc = 0; jc < n; jc += ncMax) {
        const long nc = min_l(ncMax, n - jc);
        for (long pc = 0; pc < k; pc += kcMax) {
            const long kc = min_l(kcMax, k - pc), kp = (kc + 1) / 2;
            const float sliceBeta = pc == 0 ? beta : 1;
            pack_b(packedB, trans_b, b, ldb, pc, kc, jc, nc);
            for (long ic = 0; ic < m; ic += mcMax) {
                const long mc = min_l(mcMax, m - ic);
                pack_a(packedA, trans_a, a, lda, ic, mc, pc, kc, alpha);
                for (long ir = 0; ir < mc; ir += MR) {
                    for (long jr = 0; jr < nc; jr += NR) {
                        const int mr = (int)min_l(MR, mc - ir), nr = (int)min_l(NR, nc - jr);
                        float *tile = c + (ic + ir) * ldc + jc + jr;
                        if (nr <= 16) kernel_half(kp, packedA + ir * kp, packedB + jr * kp, tile, ldc, sliceBeta, mr, nr);
                        else kernel_full(kp, packedA + ir * kp, packedB + jr * kp, tile, ldc, sliceBeta, mr, nr);
                    }
                }
            }
        }
    }
}

#pragma clang attribute pop
#endif

// C = beta·C, with beta = 0 writing zeros without reading C.
static void scale_c(long m, long n, float beta, float *c, long ldc) {
    if (beta == 1) return;
    for (long i = 0; i < m; i++)
        for (long j = 0; j < n; j++) c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j];
}

int dip_gemm_bf16(bool trans_a, bool trans_b, long m, long n, long k,
                  float alpha, const float *a, long lda, const float *b, long ldb,
                  float beta, float *c, long ldc, float *scratch) {
    if (!dip_bf16_supported()) return -1;
    if (m <= 0 || n <= 0) return 0;
    if (k <= 0 || alpha == 0) {
        scale_c(m, n, beta, c, ldc);
        return 0;
    }
#if defined(__x86_64__)
    float *owned = 0;
    if (!scratch) {
        owned = malloc(dip_gemm_bf16_scratch_floats() * sizeof(float));
        if (!owned) abort();
        scratch = owned;
    }
    gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, scratch);
    free(owned);
    return 0;
#else
    (void)trans_a; (void)trans_b; (void)lda; (void)ldb; (void)a; (void)b; (void)ldc; (void)scratch;
    return -1;
#endif
}
