// The readout of the fully connected recursion in NTK parameterization (see CNumerics.h).
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
