// AVX-512F: 512-bit vectors, 12×32 tiles (24 sums, 2 vectors of B and one
// broadcast of A: 27 of 32 registers). Uses AVX-512F only, so it needs no
// check of BW/DQ/VL. Compiled for these instructions inside its functions
// only; dip_sgemm calls it after checking the CPU and the OS.
#include "gemm_paths.h"

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx512f,avx2,fma"))), apply_to = function)
#define GEMM_PATH avx512
#include "gemm_avx512_sizes.h"
#include "gemm_body.h"
#pragma clang attribute pop
#endif
