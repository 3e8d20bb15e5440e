// The AVX-512 path's tile and block sizes (12×32 tiles, 16-float vectors)
// compiled for AVX2 instead. Tests run it on machines without AVX-512, so the
// packing, blocking and edge handling the AVX-512 path uses are checked
// everywhere; only the instruction selection differs.
#include "gemm_paths.h"

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define GEMM_PATH avx512_layout
#include "gemm_avx512_sizes.h"
#include "gemm_body.h"
#pragma clang attribute pop
#endif
