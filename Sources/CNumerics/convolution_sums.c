// Sums of runs for the convolutional kernel engine (see CNumerics.h).
#include <math.h>
#include "CNumerics.h"
#include "vector_math.h"

static void sum_runs_scalar(size_t start, size_t n, const double *const *sources, size_t count, double scale,
                            double shift, const double *addend, double *out) {
    for (size_t k = start; k < n; k++) {
        double sum = 0;
        for (size_t s = 0; s < count; s++) sum += sources[s][k];
        const double value = fma(scale, sum, shift);   // the vector paths' fused multiply-add
        out[k] = addend ? value + addend[k] : value;
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
/// `sum_runs_avx2` with eight-lane vectors: the same sums in the same order (bit-identical).
NTKB_AVX512 static size_t sum_runs_avx512(size_t n, const double *const *sources, size_t count, double scale,
                                          double shift, const double *addend, double *out) {
    const __m512d vscale = _mm512_set1_pd(scale), vshift = _mm512_set1_pd(shift);
    size_t k = 0;
    for (; k + 16 <= n; k += 16) {
        __m512d a = _mm512_setzero_pd(), b = _mm512_setzero_pd();
        for (size_t s = 0; s < count; s++) {
            a = _mm512_add_pd(a, _mm512_loadu_pd(sources[s] + k));
            b = _mm512_add_pd(b, _mm512_loadu_pd(sources[s] + k + 8));
        }
        __m512d ra = _mm512_fmadd_pd(vscale, a, vshift), rb = _mm512_fmadd_pd(vscale, b, vshift);
        if (addend) {
            ra = _mm512_add_pd(ra, _mm512_loadu_pd(addend + k));
            rb = _mm512_add_pd(rb, _mm512_loadu_pd(addend + k + 8));
        }
        _mm512_storeu_pd(out + k, ra);
        _mm512_storeu_pd(out + k + 8, rb);
    }
    return k;
}
#endif

void ntkb_sum_runs(size_t n, const double *const *sources, size_t count, double scale, double shift,
                   const double *addend, double *out) {
    size_t done = 0;
#if NTKB_HAVE_AVX2_PATH
    if (ntkb_uses_avx512()) done = sum_runs_avx512(n, sources, count, scale, shift, addend, out);
    if (ntkb_uses_avx2()) {
        const double *shifted[count ? count : 1];
        for (size_t s = 0; s < count; s++) shifted[s] = sources[s] + done;
        done += sum_runs_avx2(n - done, shifted, count, scale, shift, addend ? addend + done : NULL, out + done);
    }
#endif
    sum_runs_scalar(done, n, sources, count, scale, shift, addend, out);
}

static void determinant_scalar(size_t start, size_t n, double root_qi, const double *root_qj, const double *sigma,
                               double *det) {
    for (size_t k = start; k < n; k++) {
        const double r = root_qi * root_qj[k];
        det[k] = (r - sigma[k]) * (r + sigma[k]);
    }
}

static void update_scalar(size_t start, size_t n, const double *hat, const double *dot, double *sigma, double *theta) {
    for (size_t k = start; k < n; k++) {
        sigma[k] = hat[k];
        theta[k] *= dot[k];
    }
}

#if NTKB_HAVE_AVX2_PATH
NTKB_AVX2 static size_t determinant_avx2(size_t n, double root_qi, const double *root_qj, const double *sigma,
                                         double *det) {
    const __m256d ri = _mm256_set1_pd(root_qi);
    size_t k = 0;
    for (; k + 4 <= n; k += 4) {
        const __m256d r = _mm256_mul_pd(ri, _mm256_loadu_pd(root_qj + k)), s = _mm256_loadu_pd(sigma + k);
        _mm256_storeu_pd(det + k, _mm256_mul_pd(_mm256_sub_pd(r, s), _mm256_add_pd(r, s)));
    }
    return k;
}

NTKB_AVX2 static size_t update_avx2(size_t n, const double *hat, const double *dot, double *sigma, double *theta) {
    size_t k = 0;
    for (; k + 4 <= n; k += 4) {
        _mm256_storeu_pd(sigma + k, _mm256_loadu_pd(hat + k));
        _mm256_storeu_pd(theta + k, _mm256_mul_pd(_mm256_loadu_pd(theta + k), _mm256_loadu_pd(dot + k)));
    }
    return k;
}
#endif

void ntkb_pair_determinant(size_t n, double root_qi, const double *root_qj, const double *sigma, double *det) {
    size_t done = 0;
#if NTKB_HAVE_AVX2_PATH
    if (ntkb_uses_avx2()) done = determinant_avx2(n, root_qi, root_qj, sigma, det);
#endif
    determinant_scalar(done, n, root_qi, root_qj, sigma, det);
}

void ntkb_activation_update(size_t n, const double *hat, const double *dot, double *sigma, double *theta) {
    size_t done = 0;
#if NTKB_HAVE_AVX2_PATH
    if (ntkb_uses_avx2()) done = update_avx2(n, hat, dot, sigma, theta);
#endif
    update_scalar(done, n, hat, dot, sigma, theta);
}
