// Vector width, tile and block sizes of the AVX-512 path (see gemm_avx512.c),
// shared with its AVX2-compiled twin in gemm_avx512_layout.c.
#define VEC 16
#define MR 12
#define NR 32
#define KC 192
#define MC 144
#define NB (256 * 1024)     // 1 MB: half of a Sapphire Rapids L2
