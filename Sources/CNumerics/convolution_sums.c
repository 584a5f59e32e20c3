// Sums of runs for the convolutional kernel engine (see CNumerics.h).
#include "CNumerics.h"
#include "vector_math.h"

static void sum_runs_scalar(size_t start, size_t n, const double *const *sources, size_t count, double scale,
                            double shift, const double *addend, double *out) {
    for (size_t k = start; k < n; k++) {
        double sum = 0;
        for (size_t s = 0; s < count; s++) sum += sources[s][k];
        out[k] = scale * sum + shift + (addend ? addend[k] : 0.0);
    }
}

#if NTKB_HAVE_AVX2_PATH
NTKB_AVX2 static size_t sum_runs_avx2(size_t n, const double *const *sources, size_t count, double scale,
                                      double shift, const double *addend, double *out) {
    const __m256d vscale = _mm256_set1_pd(scale), vshift = _mm256_set1_pd(shift);
    size_t k = 0;
    for (; k + 8 <= n; k += 8) {
        __m256d a = _mm256_setzero_pd(), b = _mm256_setzero_pd();
        for (size_t s = 0; s < count; s++) {
            a = _mm256_add_pd(a, _mm256_loadu_pd(sources[s] + k));
            b = _mm256_add_pd(b, _mm256_loadu_pd(sources[s] + k + 4));
        }
        __m256d ra = _mm256_fmadd_pd(vscale, a, vshift), rb = _mm256_fmadd_pd(vscale, b, vshift);
        if (addend) {
            ra = _mm256_add_pd(ra, _mm256_loadu_pd(addend + k));
            rb = _mm256_add_pd(rb, _mm256_loadu_pd(addend + k + 4));
        }
        _mm256_storeu_pd(out + k, ra);
        _mm256_storeu_pd(out + k + 4, rb);
    }
    return k;
}
#endif

void ntkb_sum_runs(size_t n, const double *const *sources, size_t count, double scale, double shift,
                   const double *addend, double *out) {
    size_t done = 0;
#if NTKB_HAVE_AVX2_PATH
    if (ntkb_uses_avx2()) done = sum_runs_avx2(n, sources, count, scale, shift, addend, out);
#endif
    sum_runs_scalar(done, n, sources, count, scale, shift, addend, out);
}

void ntkb_multiply_runs(size_t n, const double *factor, double *inout) {
    for (size_t k = 0; k < n; k++) inout[k] *= factor[k];
}
