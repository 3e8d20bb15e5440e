// The SGEMM of every instruction-set path, written once with clang vector
// types. A path file defines the parameters below, turns on its target
// attribute for all functions, and includes this file:
//
//   GEMM_PATH   name suffix of the entry point (generic, avx2, avx512)
//   VEC         floats per vector register
//   MR, NR      register tile: MR rows × NR columns of C (NR a multiple of VEC)
//   KC, MC      cache blocks: a KC-deep slice of the product at a time; an
//               MC×KC block of A packed at once
//   NB          floats of the packed block of B, which stays in L2
//
// Structure (Goto/BLIS): for each block of columns and KC-deep slice, B's
// block is packed into NR-column micro-panels; for each MC-high block of rows,
// A's block is packed into MR-row micro-panels; then the micro-kernel
// multiplies one A micro-panel (kept in L1) by each B micro-panel in turn
// (streamed from L2) into MR×NR tiles of C, which it keeps in registers for
// the whole slice. Sweeping a row of tiles walks C along its rows, which the
// hardware prefetches well even when C's rows are a power of two apart.
// Packing takes care of the transposes, of alpha (folded into A) and of the
// edges (zero padding), so the micro-kernel never needs a bounds check and
// only its store is partial.

#define GEMM_CAT2(x, y) x##y
#define GEMM_CAT(x, y) GEMM_CAT2(x, y)

#define NV (NR / VEC)   // vectors per row of a tile

typedef float vf __attribute__((ext_vector_type(VEC)));
typedef float v8 __attribute__((ext_vector_type(8)));
typedef float v4 __attribute__((ext_vector_type(4)));
typedef float v2 __attribute__((ext_vector_type(2)));

_Static_assert(NR % VEC == 0 && NR % 8 == 0, "NR must be a multiple of the vector width and of 8");
_Static_assert(MC % MR == 0, "blocks of A must hold whole micro-panels");
_Static_assert(NB >= KC * NR, "the block of B must hold one micro-panel");

// Unaligned loads and stores: memcpy compiles to a single vector move.
#define LOADU(T, p) ({ T v_; __builtin_memcpy(&v_, (p), sizeof(T)); v_; })
#define STOREU(p, v) do { __typeof__(v) v_ = (v); __builtin_memcpy((p), &v_, sizeof v_); } while (0)

static inline float *align64(float *p) {
    return (float *)(((uintptr_t)p + 63) & ~(uintptr_t)63);
}

static inline long min_l(long x, long y) { return x < y ? x : y; }

// MARK: packing

// Panels whose source already runs along their width (op(B) = B, op(A) = Aᵀ):
// for every p, src[p·ld + x] for x < width goes to panel x / R, row p, column
// x % R, times scale; the last panel is padded with zeros. Each source row is
// read as one run of `width` floats.
static inline __attribute__((always_inline))
void pack_along(float *restrict dst, const float *restrict src, long ld, long kc,
                long width, const int R, float scale) {
    long panels = width / R, rest = width % R;
    for (long p = 0; p < kc; p++) {
        const float *s = src + p * ld;
        float *d = dst + p * R;
        for (long q = 0; q < panels; q++) {
            if (R % 8 == 0) {
                for (int i = 0; i < R; i += 8) STOREU(d + i, LOADU(v8, s + i) * scale);
            } else {
                for (int i = 0; i < R; i++) d[i] = s[i] * scale;
            }
            s += R;
            d += kc * R;
        }
        if (rest) {
            for (int i = 0; i < rest; i++) d[i] = s[i] * scale;
            for (int i = (int)rest; i < R; i++) d[i] = 0;
        }
    }
}

// In-place transpose of an 8×8 block held as eight row vectors: interleave
// pairs of rows, then pairs of pairs, then swap 128-bit halves.
static inline __attribute__((always_inline)) void transpose8(v8 r[8]) {
    v8 t[8], u[8];
    for (int q = 0; q < 8; q += 2) {
        t[q] = __builtin_shufflevector(r[q], r[q + 1], 0, 8, 1, 9, 4, 12, 5, 13);
        t[q + 1] = __builtin_shufflevector(r[q], r[q + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
    for (int q = 0; q < 8; q += 4) {
        u[q] = __builtin_shufflevector(t[q], t[q + 2], 0, 1, 8, 9, 4, 5, 12, 13);
        u[q + 1] = __builtin_shufflevector(t[q], t[q + 2], 2, 3, 10, 11, 6, 7, 14, 15);
        u[q + 2] = __builtin_shufflevector(t[q + 1], t[q + 3], 0, 1, 8, 9, 4, 5, 12, 13);
        u[q + 3] = __builtin_shufflevector(t[q + 1], t[q + 3], 2, 3, 10, 11, 6, 7, 14, 15);
    }
    for (int q = 0; q < 4; q++) {
        r[q] = __builtin_shufflevector(u[q], u[q + 4], 0, 1, 2, 3, 8, 9, 10, 11);
        r[q + 4] = __builtin_shufflevector(u[q], u[q + 4], 4, 5, 6, 7, 12, 13, 14, 15);
    }
}

// Stores the first w (1…8) floats of v.
static inline __attribute__((always_inline)) void store_first(float *dst, const v8 *vp, int w) {
    v8 v = *vp;
    switch (w) {
    case 8: STOREU(dst, v); return;
    case 6:
        STOREU(dst, __builtin_shufflevector(v, v, 0, 1, 2, 3));
        STOREU(dst + 4, __builtin_shufflevector(v, v, 4, 5));
        return;
    case 4: STOREU(dst, __builtin_shufflevector(v, v, 0, 1, 2, 3)); return;
    default:
        for (int i = 0; i < w; i++) dst[i] = v[i];
    }
}

// dst[p·R + i] = scale·src[i·ld + p] for i < count, 0 for count ≤ i < R:
// the source runs along k (op(A) = A, op(B) = Bᵀ), so the panel is a
// transpose, done eight rows by eight columns at a time in registers.
static inline __attribute__((always_inline))
void pack_across(float *restrict dst, const float *restrict src, long ld, long kc,
                 const int R, int count, float scale) {
    // Rows past the matrix's edge read a row of zeros, so the loop has no branches.
    static const float zeros[KC] __attribute__((aligned(64)));
    for (int rb = 0; rb < R; rb += 8) {
        const int w = R - rb < 8 ? R - rb : 8;
        const float *rows[8];
        for (int q = 0; q < 8; q++) rows[q] = rb + q < count ? src + (long)(rb + q) * ld : zeros;
        long p = 0;
        for (; p + 8 <= kc; p += 8) {
            v8 r[8];
            for (int q = 0; q < 8; q++) r[q] = LOADU(v8, rows[q] + p) * scale;
            transpose8(r);
            for (int q = 0; q < 8; q++) store_first(dst + (p + q) * R + rb, &r[q], w);
        }
        for (; p < kc; p++) {
            for (int q = 0; q < w; q++) dst[p * R + rb + q] = rows[q][p] * scale;
        }
    }
}

// op(A)[ic.., pc..] (mc × kc) → MR-row micro-panels, each kc·MR floats, times alpha.
static void pack_a(float *restrict dst, bool trans, const float *a, long lda,
                   long ic, long mc, long pc, long kc, float alpha) {
    if (trans) {
        pack_along(dst, a + pc * lda + ic, lda, kc, mc, MR, alpha);
        return;
    }
    for (long ir = 0; ir < mc; ir += MR) {
        pack_across(dst, a + (ic + ir) * lda + pc, lda, kc, MR, (int)min_l(MR, mc - ir), alpha);
        dst += kc * MR;
    }
}

// A row-major B is packed eight panels at a time: each source row is read
// 8·NR floats at a go, whole cache lines, and the writes go to only eight
// places, which stay in cache even when the source rows are a power of two
// apart and compete for the same cache sets.
#define PACK_GROUP 8

// op(B)[pc.., jc..] (kc × nc) → NR-column micro-panels, each kc·NR floats.
static void pack_b(float *restrict dst, bool trans, const float *b, long ldb,
                   long pc, long kc, long jc, long nc) {
    if (!trans) {
        for (long jr = 0; jr < nc; jr += PACK_GROUP * NR) {
            pack_along(dst, b + pc * ldb + jc + jr, ldb, kc, min_l(PACK_GROUP * NR, nc - jr), NR, 1);
            dst += kc * PACK_GROUP * NR;
        }
        return;
    }
    for (long jr = 0; jr < nc; jr += NR) {
        pack_across(dst, b + (jc + jr) * ldb + pc, ldb, kc, NR, (int)min_l(NR, nc - jr), 1);
        dst += kc * NR;
    }
}

// MARK: micro-kernel

// C[mr×nr] = A-panel · B-panel + beta·C, the panels kc deep, with a sum of
// ROWS × VECS·VEC kept in registers: a holds MR floats per k step (the first
// ROWS broadcast one by one), b holds NR floats per k step (the first VECS
// vectors loaded). mr ≤ ROWS and nr ≤ VECS·VEC. With beta = 0, C is not read.
// Called with constant ROWS and VECS, so that each use is its own unrolled loop.
static inline __attribute__((always_inline))
void kernel(const int ROWS, const int VECS, long kc, const float *restrict a, const float *restrict b,
            float *restrict c, long ldc, float beta, int mr, int nr) {
    vf acc[MR][NV];
    for (int i = 0; i < ROWS; i++)
        for (int j = 0; j < VECS; j++) acc[i][j] = 0;
    // The tile is written at the end; start fetching it now.
    for (int i = 0; i < mr; i++) {
        __builtin_prefetch(c + i * ldc, 1);
        __builtin_prefetch(c + i * ldc + VECS * VEC - 1, 1);
    }

    for (long p = 0; p < kc; p++) {
        vf bv[NV];
        for (int j = 0; j < VECS; j++) bv[j] = LOADU(vf, b + j * VEC);
        for (int i = 0; i < ROWS; i++) {
            vf ai = a[i];
            // a·b + c contracts to one FMA where the path has FMA.
            for (int j = 0; j < VECS; j++) acc[i][j] = ai * bv[j] + acc[i][j];
        }
        a += MR;
        b += NR;
    }

    if (mr == ROWS && nr == VECS * VEC) {     // the whole tile: vector stores straight from registers
        for (int i = 0; i < ROWS; i++) {
            float *row = c + i * ldc;
            for (int j = 0; j < VECS; j++) {
                vf r = acc[i][j];
                if (beta != 0) r = beta * LOADU(vf, row + j * VEC) + r;
                STOREU(row + j * VEC, r);
            }
        }
        return;
    }
    // An edge: only mr×nr of the tile is C.
    float tile[MR * NR] __attribute__((aligned(64)));
    for (int i = 0; i < ROWS; i++)
        for (int j = 0; j < VECS; j++) STOREU(tile + i * NR + j * VEC, acc[i][j]);
    for (int i = 0; i < mr; i++) {
        float *row = c + i * ldc;
        const float *t = tile + i * NR;
        if (beta == 0) {
            for (int j = 0; j < nr; j++) row[j] = t[j];
        } else {
            for (int j = 0; j < nr; j++) row[j] = beta * row[j] + t[j];
        }
    }
}

// The edges of C take smaller kernels where a tile would be at most half used:
// half the rows, half the vectors, or both. Each is its own unrolled loop, in
// a function of its own so that its registers are allocated for it alone.
_Static_assert(MR % 2 == 0 && NV % 2 == 0, "edge kernels halve MR and NV");
__attribute__((noinline)) static void kernel_full(long kc, const float *a, const float *b, float *c, long ldc, float beta, int mr, int nr) {
    kernel(MR, NV, kc, a, b, c, ldc, beta, mr, nr);
}
__attribute__((noinline)) static void kernel_half_rows(long kc, const float *a, const float *b, float *c, long ldc, float beta, int mr, int nr) {
    kernel(MR / 2, NV, kc, a, b, c, ldc, beta, mr, nr);
}
__attribute__((noinline)) static void kernel_half_columns(long kc, const float *a, const float *b, float *c, long ldc, float beta, int mr, int nr) {
    kernel(MR, NV / 2, kc, a, b, c, ldc, beta, mr, nr);
}
__attribute__((noinline)) static void kernel_quarter(long kc, const float *a, const float *b, float *c, long ldc, float beta, int mr, int nr) {
    kernel(MR / 2, NV / 2, kc, a, b, c, ldc, beta, mr, nr);
}

static inline void tile(long kc, const float *a, const float *b, float *c, long ldc, float beta, int mr, int nr) {
    bool fewRows = mr <= MR / 2, fewColumns = nr <= NR / 2;
    if (fewRows && fewColumns) kernel_quarter(kc, a, b, c, ldc, beta, mr, nr);
    else if (fewRows) kernel_half_rows(kc, a, b, c, ldc, beta, mr, nr);
    else if (fewColumns) kernel_half_columns(kc, a, b, c, ldc, beta, mr, nr);
    else kernel_full(kc, a, b, c, ldc, beta, mr, nr);
}

// MARK: blocking

const size_t GEMM_CAT(dip_sgemm_scratch_, GEMM_PATH) = MC * KC + NB + 16;

void GEMM_CAT(dip_sgemm_, GEMM_PATH)(GEMM_ENTRY_ARGS) {
    float *packedA = align64(scratch);
    float *packedB = packedA + MC * KC;     // MC·KC·4 bytes keeps 64-byte alignment
    _Static_assert((MC * KC) % 16 == 0, "packed B must start 64-byte aligned");

    // Equal slices of k and of m rather than full blocks and a thin remainder;
    // blocks of B as wide as fit in NB floats.
    long kSlices = (k + KC - 1) / KC;
    long kcMax = (k + kSlices - 1) / kSlices;
    long mBlocks = (m + MC - 1) / MC;
    long mcMax = ((m + mBlocks - 1) / mBlocks + MR - 1) / MR * MR;
    long ncMax = NB / kcMax / NR * NR;

    for (long jc = 0; jc < n; jc += ncMax) {
        long nc = min_l(ncMax, n - jc);
        for (long pc = 0; pc < k; pc += kcMax) {
            long kc = min_l(kcMax, k - pc);
            // Later slices add to what the first one wrote.
            float sliceBeta = pc == 0 ? beta : 1;
            pack_b(packedB, trans_b, b, ldb, pc, kc, jc, nc);
            for (long ic = 0; ic < m; ic += mcMax) {
                long mc = min_l(mcMax, m - ic);
                pack_a(packedA, trans_a, a, lda, ic, mc, pc, kc, alpha);
                for (long ir = 0; ir < mc; ir += MR) {
                    for (long jr = 0; jr < nc; jr += NR) {
                        tile(kc, packedA + ir * kc, packedB + jr * kc, c + (ic + ir) * ldc + jc + jr, ldc,
                             sliceBeta, (int)min_l(MR, mc - ir), (int)min_l(NR, nc - jr));
                    }
                }
            }
        }
    }
}
