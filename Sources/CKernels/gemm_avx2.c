// AVX2 + FMA: 256-bit vectors, 6×16 tiles (12 sums, 2 vectors of B and one
// broadcast of A: 15 of 16 registers). Compiled for these instructions inside
// its functions only; dip_sgemm calls it after checking the CPU.
#include "gemm_paths.h"

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define GEMM_PATH avx2
#define VEC 8
#define MR 6
#define NR 16
#define KC 256
#define MC 144
#define NB (64 * 1024)     // 256 KB: half of a Zen 3 L2, all of a Haswell one
#include "gemm_body.h"
#pragma clang attribute pop
#endif
