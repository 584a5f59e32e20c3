// Closed-form dual maps of the smooth activations erf and GELU (see CNumerics.h).
#include <math.h>
#include "CNumerics.h"
#include "vector_math.h"

static const double pi = 3.141592653589793238462643383280;

static void erf_scalar(size_t start, size_t n, double qi, double root_qi, const double *qj, const double *root_qj,
                       const double *sigma, double *sigma_hat, double *sigma_dot) {
    for (size_t j = start; j < n; j++) {
        const double s = sigma[j], r = root_qi * root_qj[j];
        const double root = sqrt(1 + 2 * (qi + qj[j]) + 4 * (r - s) * (r + s));
        sigma_hat[j] = (2 / pi) * atan2(2 * s, root);
        sigma_dot[j] = (4 / pi) / root;
    }
}

static void gelu_scalar(size_t start, size_t n, double qi, double root_qi, const double *qj, const double *root_qj,
                        const double *sigma, double *sigma_hat, double *sigma_dot) {
    for (size_t j = start; j < n; j++) {
        const double s = sigma[j], q = qj[j], r = root_qi * root_qj[j];
        const double product_plus_one = (1 + qi) * (1 + q);
        const double delta2 = 1 + qi + q + (r - s) * (r + s);
        const double delta = sqrt(delta2);
        const double angle = atan2(s, delta);
        sigma_hat[j] = 0.25 * s + ((s * s + qi * q * delta2) / (product_plus_one * delta) + s * angle) / (2 * pi);
        sigma_dot[j] = 0.25 + angle / (2 * pi)
            + s / (2 * pi * delta) * (1 / delta2 + (1 - qi * q) / product_plus_one + 1);
    }
}

#if NTKB_HAVE_AVX2_PATH
NTKB_AVX2 static size_t erf_avx2(size_t n, double qi, double root_qi, const double *qj, const double *root_qj,
                                 const double *sigma, double *sigma_hat, double *sigma_dot) {
    const __m256d vqi = _mm256_set1_pd(qi), vroot_qi = _mm256_set1_pd(root_qi), one = _mm256_set1_pd(1.0), two = _mm256_set1_pd(2.0),
                  four = _mm256_set1_pd(4.0), two_over_pi = _mm256_set1_pd(2 / pi),
                  four_over_pi = _mm256_set1_pd(4 / pi);
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        const __m256d s = _mm256_loadu_pd(sigma + j), q = _mm256_loadu_pd(qj + j);
        const __m256d r = _mm256_mul_pd(vroot_qi, _mm256_loadu_pd(root_qj + j));
        const __m256d gap = _mm256_mul_pd(_mm256_sub_pd(r, s), _mm256_add_pd(r, s));
        const __m256d root = _mm256_sqrt_pd(_mm256_fmadd_pd(four, gap,
                                            _mm256_fmadd_pd(two, _mm256_add_pd(vqi, q), one)));
        _mm256_storeu_pd(sigma_hat + j, _mm256_mul_pd(two_over_pi, ntkb_atan2_avx2(_mm256_mul_pd(two, s), root)));
        _mm256_storeu_pd(sigma_dot + j, _mm256_div_pd(four_over_pi, root));
    }
    return j;
}

NTKB_AVX2 static size_t gelu_avx2(size_t n, double qi, double root_qi, const double *qj, const double *root_qj,
                                  const double *sigma, double *sigma_hat, double *sigma_dot) {
    const __m256d vqi = _mm256_set1_pd(qi), vroot_qi = _mm256_set1_pd(root_qi), one = _mm256_set1_pd(1.0), quarter = _mm256_set1_pd(0.25),
                  inv_two_pi = _mm256_set1_pd(1 / (2 * pi));
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        const __m256d s = _mm256_loadu_pd(sigma + j), q = _mm256_loadu_pd(qj + j);
        const __m256d qq = _mm256_mul_pd(vqi, q);
        const __m256d r = _mm256_mul_pd(vroot_qi, _mm256_loadu_pd(root_qj + j));
        const __m256d product_plus_one = _mm256_mul_pd(_mm256_add_pd(one, vqi), _mm256_add_pd(one, q));
        const __m256d delta2 = _mm256_fmadd_pd(_mm256_sub_pd(r, s), _mm256_add_pd(r, s),
                                               _mm256_add_pd(one, _mm256_add_pd(vqi, q)));
        const __m256d delta = _mm256_sqrt_pd(delta2);
        const __m256d angle = ntkb_atan2_avx2(s, delta);
        const __m256d ratio = _mm256_div_pd(_mm256_fmadd_pd(qq, delta2, _mm256_mul_pd(s, s)),
                                            _mm256_mul_pd(product_plus_one, delta));
        const __m256d hat = _mm256_fmadd_pd(quarter, s, _mm256_mul_pd(inv_two_pi, _mm256_fmadd_pd(s, angle, ratio)));
        const __m256d bracket = _mm256_add_pd(_mm256_add_pd(_mm256_div_pd(one, delta2),
                                              _mm256_div_pd(_mm256_sub_pd(one, qq), product_plus_one)), one);
        const __m256d dot = _mm256_add_pd(_mm256_fmadd_pd(inv_two_pi, angle, quarter),
                                          _mm256_mul_pd(_mm256_div_pd(_mm256_mul_pd(inv_two_pi, s), delta), bracket));
        _mm256_storeu_pd(sigma_hat + j, hat);
        _mm256_storeu_pd(sigma_dot + j, dot);
    }
    return j;
}
#endif

void ntkb_erf_dual(size_t n, double qi, double root_qi, const double *qj, const double *root_qj,
                   const double *sigma, double *sigma_hat, double *sigma_dot) {
    size_t done = 0;
#if NTKB_HAVE_AVX2_PATH
    if (ntkb_uses_avx2()) done = erf_avx2(n, qi, root_qi, qj, root_qj, sigma, sigma_hat, sigma_dot);
#endif
    erf_scalar(done, n, qi, root_qi, qj, root_qj, sigma, sigma_hat, sigma_dot);
}

void ntkb_gelu_dual(size_t n, double qi, double root_qi, const double *qj, const double *root_qj,
                    const double *sigma, double *sigma_hat, double *sigma_dot) {
    size_t done = 0;
#if NTKB_HAVE_AVX2_PATH
    if (ntkb_uses_avx2()) done = gelu_avx2(n, qi, root_qi, qj, root_qj, sigma, sigma_hat, sigma_dot);
#endif
    gelu_scalar(done, n, qi, root_qi, qj, root_qj, sigma, sigma_hat, sigma_dot);
}
