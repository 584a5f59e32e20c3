// Dual maps of ABReLU(a, b) with the pair geometry carried as det = qi·qj − Σ² (see CNumerics.h).
#include <math.h>
#include "CNumerics.h"
#include "vector_math.h"

static const double two_pi = 6.283185307179586476925286766559;
/// Below this angle sin θ − θ cos θ is summed from its series (above it, the direct difference
/// loses at most a factor 12 to cancellation).
static const double series_below = 0.5;

/// (sin θ − θ cos θ) / θ³ = Σ_k (−1)^{k+1} 2k/(2k+1)! θ^{2k−2}, through θ¹², for θ < 0.5.
static inline double sine_defect_series(double t /* θ² */) {
    return 1.0 / 3.0 + t * (-1.0 / 30.0 + t * (1.0 / 840.0 + t * (-1.0 / 45360.0
        + t * (1.0 / 3991680.0 + t * (-1.0 / 518918400.0 + t * (1.0 / 93405312000.0))))));
}

static void abrelu_scalar(size_t start, size_t n, double a, double b, double w, double v,
                          double root_qi, const double *root_qj, const double *sigma, const double *det,
                          double *sigma_hat, double *sigma_dot, double *next_det) {
    const double m = 0.5 * (a * a + b * b), c = (a - b) * (a - b) / two_pi;
    for (size_t j = start; j < n; j++) {
        const double s_ij = sigma[j];
        const double d = det[j] > 0 ? det[j] : 0;
        const double r = root_qi * root_qj[j];
        const double s = sqrt(d);               // r·sin θ
        const double theta = atan2(s, s_ij);
        const double dot = m - c * theta;
        const double hat = c * s + s_ij * dot;
        sigma_hat[j] = hat;
        sigma_dot[j] = dot;
        if (next_det) {
            const double r_minus_sigma = s_ij > 0 ? d / (r + s_ij) : r - s_ij;   // r(1 − cos θ)
            const double defect = theta < series_below                           // r(sin θ − θ cos θ)
                ? r * theta * theta * theta * sine_defect_series(theta * theta)
                : s - theta * s_ij;
            double g = m * r_minus_sigma - c * defect;
            if (g < 0) g = 0;
            const double root_gap = root_qi - root_qj[j];
            next_det[j] = w * w * g * (m * r + hat) + w * v * (m * root_gap * root_gap + 2 * g);
        }
    }
}

#if NTKB_HAVE_AVX2_PATH
NTKB_AVX2 static size_t abrelu_avx2(size_t n, double a, double b, double w, double v,
                                    double root_qi, const double *root_qj, const double *sigma, const double *det,
                                    double *sigma_hat, double *sigma_dot, double *next_det) {
    const double m_s = 0.5 * (a * a + b * b), c_s = (a - b) * (a - b) / two_pi;
    const __m256d m = _mm256_set1_pd(m_s), c = _mm256_set1_pd(c_s), zero = _mm256_setzero_pd();
    const __m256d vroot_qi = _mm256_set1_pd(root_qi);
    const __m256d ww = _mm256_set1_pd(w * w), wv = _mm256_set1_pd(w * v), two = _mm256_set1_pd(2.0);
    const __m256d threshold = _mm256_set1_pd(series_below);
    const __m256d k0 = _mm256_set1_pd(1.0 / 3.0), k1 = _mm256_set1_pd(-1.0 / 30.0),
                  k2 = _mm256_set1_pd(1.0 / 840.0), k3 = _mm256_set1_pd(-1.0 / 45360.0),
                  k4 = _mm256_set1_pd(1.0 / 3991680.0), k5 = _mm256_set1_pd(-1.0 / 518918400.0),
                  k6 = _mm256_set1_pd(1.0 / 93405312000.0);
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        const __m256d s_ij = _mm256_loadu_pd(sigma + j);
        const __m256d d = _mm256_max_pd(_mm256_loadu_pd(det + j), zero);
        const __m256d root_q = _mm256_loadu_pd(root_qj + j);
        const __m256d r = _mm256_mul_pd(vroot_qi, root_q);
        const __m256d s = _mm256_sqrt_pd(d);
        const __m256d theta = ntkb_pair_angle_avx2(s, s_ij, r);
        const __m256d dot = _mm256_fnmadd_pd(c, theta, m);
        const __m256d hat = _mm256_fmadd_pd(c, s, _mm256_mul_pd(s_ij, dot));
        _mm256_storeu_pd(sigma_hat + j, hat);
        _mm256_storeu_pd(sigma_dot + j, dot);
        if (next_det) {
            const __m256d positive = _mm256_cmp_pd(s_ij, zero, _CMP_GT_OQ);
            const __m256d r_minus_sigma = _mm256_blendv_pd(_mm256_sub_pd(r, s_ij),
                                                           _mm256_div_pd(d, _mm256_add_pd(r, s_ij)), positive);
            const __m256d direct = _mm256_fnmadd_pd(theta, s_ij, s);
            const __m256d small = _mm256_cmp_pd(theta, threshold, _CMP_LT_OQ);
            __m256d defect = direct;
            if (_mm256_movemask_pd(small)) {   // the series only where some lane needs it
                const __m256d t = _mm256_mul_pd(theta, theta);
                __m256d p = _mm256_fmadd_pd(t, k6, k5);
                p = _mm256_fmadd_pd(t, p, k4);
                p = _mm256_fmadd_pd(t, p, k3);
                p = _mm256_fmadd_pd(t, p, k2);
                p = _mm256_fmadd_pd(t, p, k1);
                p = _mm256_fmadd_pd(t, p, k0);
                const __m256d series = _mm256_mul_pd(_mm256_mul_pd(r, _mm256_mul_pd(theta, t)), p);
                defect = _mm256_blendv_pd(direct, series, small);
            }
            const __m256d g = _mm256_max_pd(_mm256_fmsub_pd(m, r_minus_sigma, _mm256_mul_pd(c, defect)), zero);
            const __m256d root_gap = _mm256_sub_pd(vroot_qi, root_q);
            const __m256d across = _mm256_mul_pd(ww, _mm256_mul_pd(g, _mm256_fmadd_pd(m, r, hat)));
            const __m256d bias = _mm256_mul_pd(wv, _mm256_fmadd_pd(m, _mm256_mul_pd(root_gap, root_gap),
                                                                   _mm256_mul_pd(two, g)));
            _mm256_storeu_pd(next_det + j, _mm256_add_pd(across, bias));
        }
    }
    return j;
}
/// `abrelu_avx2` on eight lanes, operation for operation (bit-identical results).
NTKB_AVX512 static size_t abrelu_avx512(size_t n, double a, double b, double w, double v,
                                        double root_qi, const double *root_qj, const double *sigma, const double *det,
                                        double *sigma_hat, double *sigma_dot, double *next_det) {
    const double m_s = 0.5 * (a * a + b * b), c_s = (a - b) * (a - b) / two_pi;
    const __m512d m = _mm512_set1_pd(m_s), c = _mm512_set1_pd(c_s), zero = _mm512_setzero_pd();
    const __m512d vroot_qi = _mm512_set1_pd(root_qi);
    const __m512d ww = _mm512_set1_pd(w * w), wv = _mm512_set1_pd(w * v), two = _mm512_set1_pd(2.0);
    const __m512d threshold = _mm512_set1_pd(series_below);
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        const __m512d s_ij = _mm512_loadu_pd(sigma + j);
        const __m512d d = _mm512_max_pd(_mm512_loadu_pd(det + j), zero);
        const __m512d root_q = _mm512_loadu_pd(root_qj + j);
        const __m512d r = _mm512_mul_pd(vroot_qi, root_q);
        const __m512d s = _mm512_sqrt_pd(d);
        const __m512d theta = ntkb_pair_angle_avx512(s, s_ij, r);
        const __m512d dot = _mm512_fnmadd_pd(c, theta, m);
        const __m512d hat = _mm512_fmadd_pd(c, s, _mm512_mul_pd(s_ij, dot));
        _mm512_storeu_pd(sigma_hat + j, hat);
        _mm512_storeu_pd(sigma_dot + j, dot);
        if (next_det) {
            const __mmask8 positive = _mm512_cmp_pd_mask(s_ij, zero, _CMP_GT_OQ);
            const __m512d r_minus_sigma = _mm512_mask_mov_pd(_mm512_sub_pd(r, s_ij), positive,
                                                             _mm512_div_pd(d, _mm512_add_pd(r, s_ij)));
            const __m512d direct = _mm512_fnmadd_pd(theta, s_ij, s);
            const __mmask8 small = _mm512_cmp_pd_mask(theta, threshold, _CMP_LT_OQ);
            __m512d defect = direct;
            if (small) {   // the series only where some lane needs it
                const __m512d t = _mm512_mul_pd(theta, theta);
                __m512d p = _mm512_fmadd_pd(t, _mm512_set1_pd(1.0 / 93405312000.0), _mm512_set1_pd(-1.0 / 518918400.0));
                p = _mm512_fmadd_pd(t, p, _mm512_set1_pd(1.0 / 3991680.0));
                p = _mm512_fmadd_pd(t, p, _mm512_set1_pd(-1.0 / 45360.0));
                p = _mm512_fmadd_pd(t, p, _mm512_set1_pd(1.0 / 840.0));
                p = _mm512_fmadd_pd(t, p, _mm512_set1_pd(-1.0 / 30.0));
                p = _mm512_fmadd_pd(t, p, _mm512_set1_pd(1.0 / 3.0));
                const __m512d series = _mm512_mul_pd(_mm512_mul_pd(r, _mm512_mul_pd(theta, t)), p);
                defect = _mm512_mask_mov_pd(direct, small, series);
            }
            const __m512d g = _mm512_max_pd(_mm512_fmsub_pd(m, r_minus_sigma, _mm512_mul_pd(c, defect)), zero);
            const __m512d root_gap = _mm512_sub_pd(vroot_qi, root_q);
            const __m512d across = _mm512_mul_pd(ww, _mm512_mul_pd(g, _mm512_fmadd_pd(m, r, hat)));
            const __m512d bias = _mm512_mul_pd(wv, _mm512_fmadd_pd(m, _mm512_mul_pd(root_gap, root_gap),
                                                                   _mm512_mul_pd(two, g)));
            _mm512_storeu_pd(next_det + j, _mm512_add_pd(across, bias));
        }
    }
    return j;
}
#endif

void ntkb_abrelu_dual(size_t n, double a, double b, double weight_var, double bias_var,
                      double root_qi, const double *root_qj, const double *sigma, const double *det,
                      double *sigma_hat, double *sigma_dot, double *next_det) {
    size_t done = 0;
#if NTKB_HAVE_AVX2_PATH
    if (ntkb_uses_avx512())
        done = abrelu_avx512(n, a, b, weight_var, bias_var, root_qi, root_qj, sigma, det, sigma_hat, sigma_dot, next_det);
    if (ntkb_uses_avx2())
        done += abrelu_avx2(n - done, a, b, weight_var, bias_var, root_qi, root_qj + done, sigma + done, det + done,
                            sigma_hat + done, sigma_dot + done, next_det ? next_det + done : NULL);
#endif
    abrelu_scalar(done, n, a, b, weight_var, bias_var, root_qi, root_qj, sigma, det, sigma_hat, sigma_dot, next_det);
}

/// Pairs per chunk of `ntkb_abrelu_hidden_layer`: Σ̂ and Σ̇ of a chunk stay in the L1 cache
/// between the dual map and the hidden step (a multiple of 8, so chunks keep the vector lanes).
enum { hidden_chunk = 256 };

/// The hidden step of `ntkb_abrelu_hidden_layer` from k = start on (products and sums rounded
/// one by one, as in the vector paths).
static void hidden_step_scalar(size_t start, size_t count, double w, double v, const double *hat, const double *dot,
                               double *s, double *t) {
    for (size_t k = start; k < count; k++) {
        // Each product and sum rounded on its own, as the Swift step: no fused multiply-adds.
#pragma STDC FP_CONTRACT OFF
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
        const double scaled = w * hat[k];
        const double next = scaled + v;
        const double gain = w * dot[k];
        const double carried = gain * t[k];
        t[k] = next + carried;
        s[k] = next;
    }
}

#if NTKB_HAVE_AVX2_PATH
NTKB_AVX512 static size_t hidden_step_avx512(size_t count, double w_s, double v_s, const double *hat, const double *dot,
                                             double *s, double *t) {
    const __m512d w = _mm512_set1_pd(w_s), v = _mm512_set1_pd(v_s);
    size_t k = 0;
    for (; k + 8 <= count; k += 8) {
        const __m512d next = _mm512_add_pd(_mm512_mul_pd(w, _mm512_loadu_pd(hat + k)), v);
        const __m512d carried = _mm512_mul_pd(_mm512_mul_pd(w, _mm512_loadu_pd(dot + k)), _mm512_loadu_pd(t + k));
        _mm512_storeu_pd(t + k, _mm512_add_pd(next, carried));
        _mm512_storeu_pd(s + k, next);
    }
    return k;
}
#endif

void ntkb_abrelu_hidden_layer(size_t n, double a, double b, double weight_var, double bias_var,
                              double root_qi, const double *root_qj, double *sigma, const double *det,
                              double *theta, double *next_det) {
    double hat[hidden_chunk], dot[hidden_chunk];
    const double w = weight_var, v = bias_var;
    for (size_t start = 0; start < n; start += hidden_chunk) {
        const size_t count = n - start < hidden_chunk ? n - start : hidden_chunk;
        ntkb_abrelu_dual(count, a, b, w, v, root_qi, root_qj + start, sigma + start, det + start, hat, dot,
                         next_det + start);
        double *s = sigma + start, *t = theta + start;
        size_t done = 0;
#if NTKB_HAVE_AVX2_PATH
        if (ntkb_uses_avx512()) done = hidden_step_avx512(count, w, v, hat, dot, s, t);
#endif
        hidden_step_scalar(done, count, w, v, hat, dot, s, t);
    }
}
