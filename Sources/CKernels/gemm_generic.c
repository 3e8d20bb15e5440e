// The portable path: 128-bit vectors, which clang lowers to SSE2 on x86-64,
// NEON on ARM and scalar code elsewhere. 6×8 tiles keep 12 sums in 16 registers.
#include "gemm_paths.h"

#define GEMM_PATH generic
#define VEC 4
#define MR 6
#define NR 8
#define KC 256
#define MC 144
#define NB (64 * 1024)     // 256 KB
#include "gemm_body.h"
