// Platform helpers: which library serves a symbol, and the run-time choice of vector paths.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include "CNumerics.h"
#include "vector_math.h"

const char *ntkb_library_serving(const char *symbol) {
    void *address = dlsym(RTLD_DEFAULT, symbol);
    if (address == NULL) return NULL;
    Dl_info info;
    if (dladdr(address, &info) == 0) return NULL;
    return info.dli_fname;
}

/// 0: the widest vector path the CPU has; 1: at most AVX2; 2: scalar only.
static int vector_limit = 0;

void ntkb_force_scalar(int force) { vector_limit = force ? 2 : 0; }

void ntkb_limit_vector_width(int limit) { vector_limit = limit < 0 ? 0 : (limit > 2 ? 2 : limit); }

int ntkb_uses_avx2(void) {
#if NTKB_HAVE_AVX2_PATH
    static int supported = -1;
    if (supported < 0) {
        __builtin_cpu_init();
        supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return supported && vector_limit < 2;
#else
    return 0;
#endif
}

int ntkb_uses_avx512(void) {
#if NTKB_HAVE_AVX2_PATH
    static int supported = -1;
    if (supported < 0) {
        __builtin_cpu_init();
        supported = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2")
            && __builtin_cpu_supports("fma");
    }
    return supported && vector_limit == 0;
#else
    return 0;
#endif
}

#if defined(__GLIBC__)
#include <malloc.h>
#endif

void ntkb_keep_freed_memory(size_t mmap_threshold, size_t trim_threshold) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold);
    mallopt(M_TRIM_THRESHOLD, (int)trim_threshold);
#else
    (void)mmap_threshold;
    (void)trim_threshold;
#endif
}

#if defined(__linux__)
#include <stdint.h>
#include <sys/mman.h>
#endif

void ntkb_advise_huge_pages(void *p, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t first = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t last = ((uintptr_t)p + bytes) & ~(huge - 1);
    if (last > first) (void)madvise((void *)first, (size_t)(last - first), MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

#if defined(__linux__) && !defined(MADV_POPULATE_WRITE)
#define MADV_POPULATE_WRITE 23   /* Linux 5.14 */
#endif

int ntkb_populate_upper_triangle(double *base, size_t n, size_t first_row, size_t end_row) {
#if defined(__linux__)
    const uintptr_t page = 4096;
    uintptr_t run_start = 0, run_end = 0;
    for (size_t i = first_row; i < end_row; i++) {
        const uintptr_t start = (uintptr_t)(base + i * n + i) & ~(page - 1);
        const uintptr_t end = ((uintptr_t)(base + (i + 1) * n) + page - 1) & ~(page - 1);
        if (run_end > run_start && start <= run_end) {
            run_end = end;
            continue;
        }
        if (run_end > run_start && madvise((void *)run_start, (size_t)(run_end - run_start), MADV_POPULATE_WRITE) != 0)
            return 0;
        run_start = start;
        run_end = end;
    }
    if (run_end > run_start && madvise((void *)run_start, (size_t)(run_end - run_start), MADV_POPULATE_WRITE) != 0)
        return 0;
    return 1;
#else
    (void)base; (void)n; (void)first_row; (void)end_row;
    return 0;
#endif
}
