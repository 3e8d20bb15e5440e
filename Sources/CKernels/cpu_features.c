// Run-time detection of the instruction sets the kernels may use: cpuid says
// what the CPU has, xgetbv says which register state the operating system
// saves. A path is usable only when both agree. No table of CPU models.
#include "CKernels.h"
#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static void cpuid(unsigned leaf, unsigned subleaf, unsigned r[4]) {
    __cpuid_count(leaf, subleaf, r[0], r[1], r[2], r[3]);
}

// XCR0: the state components the OS has enabled. Only valid when the CPU has
// XSAVE and the OS has turned it on (cpuid leaf 1, ecx bit 27, OSXSAVE).
static unsigned long long xgetbv0(void) {
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

static bool bit(unsigned word, int n) { return (word >> n) & 1; }

static void detect(dip_cpu_features *f) {
    memset(f, 0, sizeof *f);
    unsigned r[4];
    cpuid(0, 0, r);
    unsigned maxLeaf = r[0];
    memcpy(f->vendor, &r[1], 4);       // ebx, edx, ecx spell the vendor
    memcpy(f->vendor + 4, &r[3], 4);
    memcpy(f->vendor + 8, &r[2], 4);
    f->vendor[12] = 0;
    if (maxLeaf < 1) return;

    cpuid(1, 0, r);
    f->sse2 = bit(r[3], 26);
    f->fma = bit(r[2], 12);
    f->avx = bit(r[2], 28);
    bool osxsave = bit(r[2], 27);
    if (osxsave) {
        unsigned long long xcr0 = xgetbv0();
        f->os_ymm = (xcr0 & 0x6) == 0x6;     // SSE and AVX (upper YMM halves) state
        f->os_zmm = (xcr0 & 0xE6) == 0xE6;   // plus opmask, upper ZMM halves, ZMM16-31
    }
    if (maxLeaf < 7) return;

    cpuid(7, 0, r);
    unsigned maxSubleaf = r[0];
    f->avx2 = bit(r[1], 5);
    f->avx512f = bit(r[1], 16);
    f->avx512dq = bit(r[1], 17);
    f->avx512bw = bit(r[1], 30);
    f->avx512vl = bit(r[1], 31);
    f->amx_bf16 = bit(r[3], 22);
    f->amx_tile = bit(r[3], 24);
    if (maxSubleaf >= 1) {
        cpuid(7, 1, r);
        f->avx512_bf16 = bit(r[0], 5);
    }
}
#else
static void detect(dip_cpu_features *f) {
    memset(f, 0, sizeof *f);
    strcpy(f->vendor, "unknown");
}
#endif

static dip_cpu_features cached;
static pthread_once_t cachedOnce = PTHREAD_ONCE_INIT;
static void detectOnce(void) { detect(&cached); }

void dip_cpu_features_get(dip_cpu_features *out) {
    pthread_once(&cachedOnce, detectOnce);
    *out = cached;
}

bool dip_isa_supported(dip_isa isa) {
    dip_cpu_features f;
    dip_cpu_features_get(&f);
    switch (isa) {
    case DIP_ISA_GENERIC: return true;
    case DIP_ISA_AVX2: return f.avx && f.avx2 && f.fma && f.os_ymm;
    case DIP_ISA_AVX512: return f.avx512f && f.avx2 && f.fma && f.os_ymm && f.os_zmm;
    }
    return false;
}

dip_isa dip_isa_best(void) {
    if (dip_isa_supported(DIP_ISA_AVX512)) return DIP_ISA_AVX512;
    if (dip_isa_supported(DIP_ISA_AVX2)) return DIP_ISA_AVX2;
    return DIP_ISA_GENERIC;
}
