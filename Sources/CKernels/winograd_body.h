// The transforms of Winograd's F(4×4, 3×3) for one instruction set: included by
// winograd.c once per path, with WINO(name) giving the path's function names and
// the target attribute pushed around the include. Plain loops over contiguous
// rows (tiles in the lanes), which the compiler vectorises for the path.

// Input tiles: for channel c and the tile rows ty0..<ty1, the 6×6 window at
// (4·ty, 4·tx) of the virtual padded image, read through row_off / col_idx
// (−1: a zero), becomes Bᵀ·d·B, stored as v[(ξ·channels + c)·ldv + tile]. With
// `scale`, each value read is first mapped to value·scale[c] + shift[c] (the zeros stay).
static void WINO(input)(const float *src, long channels, long plane, const float *scale, const float *shift,
                        const long *row_off, const long *col_idx, long run_lo, long run_hi, long run_shift,
                        long tiles_x, long ty0, long ty1, float *v, long ldv, float *buf) {
    const long width = 4 * tiles_x + 2;
    float *rows = buf, *tmp = buf + 6 * width;
    for (long c = 0; c < channels; c++) {
        const float *plane_c = src + c * plane;
        const float a = scale ? scale[c] : 1, b = scale ? shift[c] : 0;
        for (long ty = ty0; ty < ty1; ty++) {
            for (int r = 0; r < 6; r++) {
                float *dst = rows + r * width;
                const long off = row_off[4 * ty + r];
                if (off < 0) {
                    for (long q = 0; q < width; q++) dst[q] = 0;
                    continue;
                }
                const float *srow = plane_c + off;
                if (scale) {
                    for (long q = 0; q < run_lo; q++) dst[q] = col_idx[q] < 0 ? 0 : srow[col_idx[q]] * a + b;
                    for (long q = run_lo; q < run_hi; q++) dst[q] = srow[q + run_shift] * a + b;
                    for (long q = run_hi; q < width; q++) dst[q] = col_idx[q] < 0 ? 0 : srow[col_idx[q]] * a + b;
                    continue;
                }
                for (long q = 0; q < run_lo; q++) dst[q] = col_idx[q] < 0 ? 0 : srow[col_idx[q]];
                for (long q = run_lo; q < run_hi; q++) dst[q] = srow[q + run_shift];
                for (long q = run_hi; q < width; q++) dst[q] = col_idx[q] < 0 ? 0 : srow[col_idx[q]];
            }
            // Down the columns: tmp[k][x] = Σ_r Bᵀ[k][r]·rows[r][x].
            const float *d0 = rows, *d1 = rows + width, *d2 = rows + 2 * width,
                        *d3 = rows + 3 * width, *d4 = rows + 4 * width, *d5 = rows + 5 * width;
            float *t0 = tmp, *t1 = tmp + width, *t2 = tmp + 2 * width,
                  *t3 = tmp + 3 * width, *t4 = tmp + 4 * width, *t5 = tmp + 5 * width;
            for (long x = 0; x < width; x++) {
                const float a0 = d0[x], a1 = d1[x], a2 = d2[x], a3 = d3[x], a4 = d4[x], a5 = d5[x];
                t0[x] = 4 * a0 - 5 * a2 + a4;
                t1[x] = a4 + a3 - 4 * (a1 + a2);
                t2[x] = a4 - a3 + 4 * (a1 - a2);
                t3[x] = a4 - a2 + 2 * (a3 - a1);
                t4[x] = a4 - a2 - 2 * (a3 - a1);
                t5[x] = 4 * a1 - 5 * a3 + a5;
            }
            // Along the rows, tile by tile: ξ = 6k + l.
            const long base = (ty - ty0) * tiles_x;
            for (int k = 0; k < 6; k++) {
                const float *t = tmp + k * width;
                float *o0 = v + ((6 * k + 0) * channels + c) * ldv + base;
                float *o1 = v + ((6 * k + 1) * channels + c) * ldv + base;
                float *o2 = v + ((6 * k + 2) * channels + c) * ldv + base;
                float *o3 = v + ((6 * k + 3) * channels + c) * ldv + base;
                float *o4 = v + ((6 * k + 4) * channels + c) * ldv + base;
                float *o5 = v + ((6 * k + 5) * channels + c) * ldv + base;
                for (long tx = 0; tx < tiles_x; tx++) {
                    const float *e = t + 4 * tx;
                    const float a0 = e[0], a1 = e[1], a2 = e[2], a3 = e[3], a4 = e[4], a5 = e[5];
                    o0[tx] = 4 * a0 - 5 * a2 + a4;
                    o1[tx] = a4 + a3 - 4 * (a1 + a2);
                    o2[tx] = a4 - a3 + 4 * (a1 - a2);
                    o3[tx] = a4 - a2 + 2 * (a3 - a1);
                    o4[tx] = a4 - a2 - 2 * (a3 - a1);
                    o5[tx] = 4 * a1 - 5 * a3 + a5;
                }
            }
        }
    }
}

// Output tiles: Aᵀ·M·A for channel co and every tile of rows ty0..<ty1, plus the
// bias, written where the 4×4 tile lies inside out_h × out_w. With crop > 0, only the
// inside (crop pixels in from each side) goes to dst; the ring goes to `border`
// (see dip_winograd_f43). With `stats` (and no crop), each channel's sum and sum of
// squares over the rows written are added to stats[2·co] and stats[2·co + 1].
static void WINO(output)(const float *m, long ldm, long channels, long tiles_x, long ty0, long ty1,
                         const float *bias, float *dst, long plane, long ld, long out_h, long out_w,
                         long crop, float *border, double *stats, float *buf) {
    float *s = buf;                         // 6 × 4 rows of tiles_x: Mᵀ-rows times A
    float *y = buf + 24 * tiles_x;          // 4 × 4 rows of tiles_x
    float *out = buf + 40 * tiles_x;        // 4 image rows of 4·tiles_x
    for (long co = 0; co < channels; co++) {
        const float b = bias ? bias[co] : 0;
        double sum = 0, squares = 0;
        for (long ty = ty0; ty < ty1; ty++) {
            const long base = (ty - ty0) * tiles_x;
            for (int k = 0; k < 6; k++) {
                const float *m0 = m + ((6 * k + 0) * channels + co) * ldm + base;
                const float *m1 = m + ((6 * k + 1) * channels + co) * ldm + base;
                const float *m2 = m + ((6 * k + 2) * channels + co) * ldm + base;
                const float *m3 = m + ((6 * k + 3) * channels + co) * ldm + base;
                const float *m4 = m + ((6 * k + 4) * channels + co) * ldm + base;
                const float *m5 = m + ((6 * k + 5) * channels + co) * ldm + base;
                float *s0 = s + (4 * k) * tiles_x, *s1 = s0 + tiles_x, *s2 = s1 + tiles_x, *s3 = s2 + tiles_x;
                for (long tx = 0; tx < tiles_x; tx++) {
                    const float p = m1[tx] + m2[tx], q = m1[tx] - m2[tx];
                    const float r = m3[tx] + m4[tx], u = m3[tx] - m4[tx];
                    s0[tx] = m0[tx] + p + r;
                    s1[tx] = q + 2 * u;
                    s2[tx] = p + 4 * r;
                    s3[tx] = q + 8 * u + m5[tx];
                }
            }
            for (int j = 0; j < 4; j++) {
                const float *e0 = s + (0 * 4 + j) * tiles_x, *e1 = s + (1 * 4 + j) * tiles_x,
                            *e2 = s + (2 * 4 + j) * tiles_x, *e3 = s + (3 * 4 + j) * tiles_x,
                            *e4 = s + (4 * 4 + j) * tiles_x, *e5 = s + (5 * 4 + j) * tiles_x;
                float *y0 = y + (0 * 4 + j) * tiles_x, *y1 = y + (1 * 4 + j) * tiles_x,
                      *y2 = y + (2 * 4 + j) * tiles_x, *y3 = y + (3 * 4 + j) * tiles_x;
                for (long tx = 0; tx < tiles_x; tx++) {
                    const float p = e1[tx] + e2[tx], q = e1[tx] - e2[tx];
                    const float r = e3[tx] + e4[tx], u = e3[tx] - e4[tx];
                    y0[tx] = e0[tx] + p + r + b;
                    y1[tx] = q + 2 * u + b;
                    y2[tx] = p + 4 * r + b;
                    y3[tx] = q + 8 * u + e5[tx] + b;
                }
            }
            for (int i = 0; i < 4; i++) {
                const long row = 4 * ty + i;
                if (row >= out_h) break;
                const float *c0 = y + (i * 4 + 0) * tiles_x, *c1 = y + (i * 4 + 1) * tiles_x,
                            *c2 = y + (i * 4 + 2) * tiles_x, *c3 = y + (i * 4 + 3) * tiles_x;
                float *o = out + i * 4 * tiles_x;
                for (long tx = 0; tx < tiles_x; tx++) {
                    o[4 * tx] = c0[tx]; o[4 * tx + 1] = c1[tx]; o[4 * tx + 2] = c2[tx]; o[4 * tx + 3] = c3[tx];
                }
                if (crop == 0) {
                    float *d = dst + co * plane + row * ld;
                    for (long x = 0; x < out_w; x++) d[x] = o[x];
                    if (!stats) continue;
                    // In double lanes: E[y²] − E[y]² from these stays exact to float
                    // precision even when the mean is far from zero.
                    double ls[8] = {0}, lq[8] = {0};
                    long x = 0;
                    for (; x + 8 <= out_w; x += 8) {
                        for (int l = 0; l < 8; l++) { const double v = o[x + l]; ls[l] += v; lq[l] += v * v; }
                    }
                    for (; x < out_w; x++) { const double v = o[x]; sum += v; squares += v * v; }
                    for (int l = 0; l < 8; l++) { sum += ls[l]; squares += lq[l]; }
                } else if (row < crop || row >= out_h - crop) {
                    const long k = row < crop ? row : row - (out_h - 2 * crop);
                    float *d = border + (co * 2 * crop + k) * out_w;
                    for (long x = 0; x < out_w; x++) d[x] = o[x];
                } else {
                    float *d = dst + co * plane + (row - crop) * ld;
                    for (long x = 0; x < out_w - 2 * crop; x++) d[x] = o[x + crop];
                    float *side = border + channels * 2 * crop * out_w + (co * out_h + row) * 2 * crop;
                    for (long j = 0; j < crop; j++) { side[j] = o[j]; side[crop + j] = o[out_w - crop + j]; }
                }
            }
        }
        if (stats) { stats[2 * co] += sum; stats[2 * co + 1] += squares; }
    }
}

// Output-gradient tiles, for the filters' gradient: for channel co and the tile
// rows ty0..<ty1, the 4×4 tile of dy at (4·ty, 4·tx) (zero outside out_h × out_w)
// becomes A·dY·Aᵀ, stored as m[(ξ·channels + co)·ldm + tile].
static void WINO(gradient_tiles)(const float *dy, long channels, long plane, long ld, long out_h, long out_w,
                                 long tiles_x, long ty0, long ty1, float *m, long ldm, float *buf) {
    const long width = 4 * tiles_x;
    float *rows = buf, *tmp = buf + 4 * width;
    for (long co = 0; co < channels; co++) {
        for (long ty = ty0; ty < ty1; ty++) {
            for (int i = 0; i < 4; i++) {
                float *dst = rows + i * width;
                const long row = 4 * ty + i;
                long x = 0;
                if (row < out_h) {
                    const float *srow = dy + co * plane + row * ld;
                    for (; x < out_w; x++) dst[x] = srow[x];
                }
                for (; x < width; x++) dst[x] = 0;
            }
            // Down the columns: tmp[k][x] = Σ_i A[k][i]·rows[i][x].
            const float *d0 = rows, *d1 = rows + width, *d2 = rows + 2 * width, *d3 = rows + 3 * width;
            float *t0 = tmp, *t1 = tmp + width, *t2 = tmp + 2 * width,
                  *t3 = tmp + 3 * width, *t4 = tmp + 4 * width, *t5 = tmp + 5 * width;
            for (long x = 0; x < width; x++) {
                const float a0 = d0[x], a1 = d1[x], a2 = d2[x], a3 = d3[x];
                const float p = a0 + a2, q = a1 + a3, r = a0 + 4 * a2, u = 2 * a1 + 8 * a3;
                t0[x] = a0;
                t1[x] = p + q;
                t2[x] = p - q;
                t3[x] = r + u;
                t4[x] = r - u;
                t5[x] = a3;
            }
            const long base = (ty - ty0) * tiles_x;
            for (int k = 0; k < 6; k++) {
                const float *t = tmp + k * width;
                float *o0 = m + ((6 * k + 0) * channels + co) * ldm + base;
                float *o1 = m + ((6 * k + 1) * channels + co) * ldm + base;
                float *o2 = m + ((6 * k + 2) * channels + co) * ldm + base;
                float *o3 = m + ((6 * k + 3) * channels + co) * ldm + base;
                float *o4 = m + ((6 * k + 4) * channels + co) * ldm + base;
                float *o5 = m + ((6 * k + 5) * channels + co) * ldm + base;
                for (long tx = 0; tx < tiles_x; tx++) {
                    const float *e = t + 4 * tx;
                    const float a0 = e[0], a1 = e[1], a2 = e[2], a3 = e[3];
                    const float p = a0 + a2, q = a1 + a3, r = a0 + 4 * a2, u = 2 * a1 + 8 * a3;
                    o0[tx] = a0;
                    o1[tx] = p + q;
                    o2[tx] = p - q;
                    o3[tx] = r + u;
                    o4[tx] = r - u;
                    o5[tx] = a3;
                }
            }
        }
    }
}
