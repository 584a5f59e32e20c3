// The first layer and the readout of the fully connected recursion in NTK parameterization (see CNumerics.h).
#include <math.h>
#include "CNumerics.h"
#include "vector_math.h"

static int readout_scalar(size_t start, size_t n, double rw, double rb, const double *hat, const double *dot,
                          const double *theta, double *nngp, double *ntk) {
    int finite = 1;
    for (size_t k = start; k < n; k++) {
        // Each product and sum rounded on its own, as the vector paths: no fused multiply-adds.
#pragma STDC FP_CONTRACT OFF
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
        const double scaled = rw * hat[k];
        const double value = scaled + rb;
        const double gain = rw * dot[k];
        const double carried = gain * theta[k];
        const double tangent = value + carried;
        nngp[k] = value;
        ntk[k] = tangent;
        finite &= isfinite(value) && isfinite(tangent);
    }
    return finite;
}

#if NTKB_HAVE_AVX2_PATH
/// Eight lanes at a time (a lane is finite iff x − x = 0); returns where it stopped.
NTKB_AVX512 static size_t readout_avx512(size_t n, double rw_s, double rb_s, const double *hat, const double *dot,
                                         const double *theta, double *nngp, double *ntk, int *finite) {
    const __m512d rw = _mm512_set1_pd(rw_s), rb = _mm512_set1_pd(rb_s), zero = _mm512_setzero_pd();
    __mmask8 good = 0xff;
    size_t k = 0;
    for (; k + 8 <= n; k += 8) {
        const __m512d value = _mm512_add_pd(_mm512_mul_pd(rw, _mm512_loadu_pd(hat + k)), rb);
        const __m512d carried = _mm512_mul_pd(_mm512_mul_pd(rw, _mm512_loadu_pd(dot + k)), _mm512_loadu_pd(theta + k));
        const __m512d tangent = _mm512_add_pd(value, carried);
        good &= _mm512_cmp_pd_mask(_mm512_sub_pd(value, value), zero, _CMP_EQ_OQ);
        good &= _mm512_cmp_pd_mask(_mm512_sub_pd(tangent, tangent), zero, _CMP_EQ_OQ);
        _mm512_storeu_pd(nngp + k, value);
        _mm512_storeu_pd(ntk + k, tangent);
    }
    if (good != 0xff) *finite = 0;
    return k;
}
#endif

int ntkb_ntk_readout(size_t n, double readout_weight_var, double readout_bias_var, const double *hat,
                     const double *dot, const double *theta, double *nngp, double *ntk) {
    int finite = 1;
    size_t done = 0;
#if NTKB_HAVE_AVX2_PATH
    if (ntkb_uses_avx512())
        done = readout_avx512(n, readout_weight_var, readout_bias_var, hat, dot, theta, nngp, ntk, &finite);
#endif
    finite &= readout_scalar(done, n, readout_weight_var, readout_bias_var, hat, dot, theta, nngp, ntk);
    return finite;
}

static size_t first_layer_scalar(size_t start, size_t n, double scale, double shift, double q1, const double *q2,
                                 const double *inner, double recompute_below, double *sigma, double *theta,
                                 double *det, size_t *recompute, size_t found) {
    for (size_t k = start; k < n; k++) {
#pragma STDC FP_CONTRACT OFF
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
        const double scaled = scale * inner[k];
        const double s = scaled + shift;
        sigma[k] = s;
        theta[k] = s;
        if (det) {
            const double product = q1 * q2[k];
            const double square = s * s;
            const double naive = product - square;
            det[k] = naive;
            if (!(naive >= recompute_below * product)) recompute[found++] = k;
        }
    }
    return found;
}

#if NTKB_HAVE_AVX2_PATH
NTKB_AVX512 static size_t first_layer_avx512(size_t n, double scale_s, double shift_s, double q1_s, const double *q2,
                                             const double *inner, double recompute_below, double *sigma,
                                             double *theta, double *det, size_t *recompute, size_t *found) {
    const __m512d scale = _mm512_set1_pd(scale_s), shift = _mm512_set1_pd(shift_s), q1 = _mm512_set1_pd(q1_s);
    const __m512d below = _mm512_set1_pd(recompute_below);
    size_t k = 0;
    for (; k + 8 <= n; k += 8) {
        const __m512d s = _mm512_add_pd(_mm512_mul_pd(scale, _mm512_loadu_pd(inner + k)), shift);
        _mm512_storeu_pd(sigma + k, s);
        _mm512_storeu_pd(theta + k, s);
        if (det) {
            const __m512d product = _mm512_mul_pd(q1, _mm512_loadu_pd(q2 + k));
            const __m512d naive = _mm512_sub_pd(product, _mm512_mul_pd(s, s));
            _mm512_storeu_pd(det + k, naive);
            __mmask8 bad = _mm512_cmp_pd_mask(naive, _mm512_mul_pd(below, product), _CMP_NGE_UQ);
            while (bad) {
                recompute[(*found)++] = k + (size_t)__builtin_ctz(bad);
                bad &= (__mmask8)(bad - 1);
            }
        }
    }
    return k;
}
#endif

size_t ntkb_first_layer(size_t n, double scale, double shift, double q1, const double *q2, const double *inner,
                        double recompute_below, double *sigma, double *theta, double *det, size_t *recompute) {
    size_t found = 0, done = 0;
#if NTKB_HAVE_AVX2_PATH
    if (ntkb_uses_avx512())
        done = first_layer_avx512(n, scale, shift, q1, q2, inner, recompute_below, sigma, theta, det, recompute, &found);
#endif
    return first_layer_scalar(done, n, scale, shift, q1, q2, inner, recompute_below, sigma, theta, det, recompute, found);
}
