// Readouts of a bias-free ABReLU network from the first layer's angle (see CNumerics.h).
#include <math.h>
#include "CNumerics.h"
#include "vector_math.h"

enum { pieces = NTKB_ANGULAR_PIECES, degree = NTKB_ANGULAR_DEGREE };
static const double pieces_per_radian = NTKB_ANGULAR_PIECES / 3.14159265358979323846;

static int angular_scalar(size_t start, size_t n, const double *nngp_table, const double *body_table, double bias_var,
                          double root_qi, const double *root_qj, const double *sigma, const double *det,
                          double *nngp, double *ntk, double *head, double *body) {
    int finite = 1;
    for (size_t j = start; j < n; j++) {
        const double r = root_qi * root_qj[j];
        const double scaled = atan2(sqrt(det[j] > 0 ? det[j] : 0), sigma[j]) * pieces_per_radian;
        const double whole = fmin(fmax(floor(scaled), 0), pieces - 1);
        const size_t piece = (size_t)whole;
        const double x = fma(2.0, scaled - whole, -1.0);
        double p = nngp_table[degree * pieces + piece], q = body_table[degree * pieces + piece];
        for (size_t k = degree; k-- > 0;) {
            p = fma(p, x, nngp_table[k * pieces + piece]);
            q = fma(q, x, body_table[k * pieces + piece]);
        }
        const double n_value = fma(r, p, bias_var), b_value = r * q, t_value = n_value + b_value;
        if (nngp) nngp[j] = n_value;
        if (head) head[j] = n_value;
        if (body) body[j] = b_value;
        if (ntk) ntk[j] = t_value;
        finite &= isfinite(t_value);
    }
    return finite;
}

#if NTKB_HAVE_AVX2_PATH
NTKB_AVX2 static size_t angular_avx2(size_t n, const double *nngp_table, const double *body_table, double bias_var,
                                     double root_qi, const double *root_qj, const double *sigma, const double *det,
                                     double *nngp, double *ntk, double *head, double *body, int *finite) {
    const __m256d vroot_qi = _mm256_set1_pd(root_qi), bias = _mm256_set1_pd(bias_var), zero = _mm256_setzero_pd();
    __m256d check = zero;   // stays 0 while every Θ is finite (0·x is NaN for x = ±∞ or NaN)
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        const __m256d s_ij = _mm256_loadu_pd(sigma + j);
        const __m256d r = _mm256_mul_pd(vroot_qi, _mm256_loadu_pd(root_qj + j));
        const __m256d s = _mm256_sqrt_pd(_mm256_max_pd(_mm256_loadu_pd(det + j), zero));
        const __m256d scaled = _mm256_mul_pd(ntkb_pair_angle_avx2(s, s_ij, r), _mm256_set1_pd(pieces_per_radian));
        const __m256d whole = _mm256_min_pd(_mm256_max_pd(_mm256_floor_pd(scaled), zero), _mm256_set1_pd(pieces - 1));
        const __m256i piece = _mm256_cvtepi32_epi64(_mm256_cvttpd_epi32(whole));
        const __m256d x = _mm256_fmsub_pd(_mm256_set1_pd(2.0), _mm256_sub_pd(scaled, whole), _mm256_set1_pd(1.0));
        __m256d p = _mm256_i64gather_pd(nngp_table + degree * pieces, piece, 8);
        __m256d q = _mm256_i64gather_pd(body_table + degree * pieces, piece, 8);
        for (size_t k = degree; k-- > 0;) {
            p = _mm256_fmadd_pd(p, x, _mm256_i64gather_pd(nngp_table + k * pieces, piece, 8));
            q = _mm256_fmadd_pd(q, x, _mm256_i64gather_pd(body_table + k * pieces, piece, 8));
        }
        const __m256d n_value = _mm256_fmadd_pd(r, p, bias), b_value = _mm256_mul_pd(r, q);
        const __m256d t_value = _mm256_add_pd(n_value, b_value);
        check = _mm256_fmadd_pd(zero, t_value, check);
        if (nngp) _mm256_storeu_pd(nngp + j, n_value);
        if (head) _mm256_storeu_pd(head + j, n_value);
        if (body) _mm256_storeu_pd(body + j, b_value);
        if (ntk) _mm256_storeu_pd(ntk + j, t_value);
    }
    if (_mm256_movemask_pd(_mm256_cmp_pd(check, zero, _CMP_NEQ_UQ))) *finite = 0;
    return j;
}

/// `angular_avx2` on eight lanes, operation for operation (bit-identical results); coefficient k
/// of the eight pieces is one register, picked per lane by a permutation.
NTKB_AVX512 static size_t angular_avx512(size_t n, const double *nngp_table, const double *body_table, double bias_var,
                                         double root_qi, const double *root_qj, const double *sigma, const double *det,
                                         double *nngp, double *ntk, double *head, double *body, int *finite) {
    const __m512d vroot_qi = _mm512_set1_pd(root_qi), bias = _mm512_set1_pd(bias_var), zero = _mm512_setzero_pd();
    __m512d check = zero;
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        const __m512d s_ij = _mm512_loadu_pd(sigma + j);
        const __m512d r = _mm512_mul_pd(vroot_qi, _mm512_loadu_pd(root_qj + j));
        const __m512d s = _mm512_sqrt_pd(_mm512_max_pd(_mm512_loadu_pd(det + j), zero));
        const __m512d scaled = _mm512_mul_pd(ntkb_pair_angle_avx512(s, s_ij, r), _mm512_set1_pd(pieces_per_radian));
        const __m512d whole = _mm512_min_pd(_mm512_max_pd(_mm512_roundscale_pd(scaled, _MM_FROUND_TO_NEG_INF), zero),
                                            _mm512_set1_pd(pieces - 1));
        const __m512i piece = _mm512_cvtepi32_epi64(_mm512_cvttpd_epi32(whole));
        const __m512d x = _mm512_fmsub_pd(_mm512_set1_pd(2.0), _mm512_sub_pd(scaled, whole), _mm512_set1_pd(1.0));
        __m512d p = _mm512_permutexvar_pd(piece, _mm512_loadu_pd(nngp_table + degree * pieces));
        __m512d q = _mm512_permutexvar_pd(piece, _mm512_loadu_pd(body_table + degree * pieces));
#if defined(__clang__)
#pragma clang loop unroll(full)
#endif
        for (int k = degree - 1; k >= 0; k--) {
            p = _mm512_fmadd_pd(p, x, _mm512_permutexvar_pd(piece, _mm512_loadu_pd(nngp_table + k * pieces)));
            q = _mm512_fmadd_pd(q, x, _mm512_permutexvar_pd(piece, _mm512_loadu_pd(body_table + k * pieces)));
        }
        const __m512d n_value = _mm512_fmadd_pd(r, p, bias), b_value = _mm512_mul_pd(r, q);
        const __m512d t_value = _mm512_add_pd(n_value, b_value);
        check = _mm512_fmadd_pd(zero, t_value, check);
        if (nngp) _mm512_storeu_pd(nngp + j, n_value);
        if (head) _mm512_storeu_pd(head + j, n_value);
        if (body) _mm512_storeu_pd(body + j, b_value);
        if (ntk) _mm512_storeu_pd(ntk + j, t_value);
    }
    if (_mm512_cmp_pd_mask(check, zero, _CMP_NEQ_UQ)) *finite = 0;
    return j;
}
#endif

int ntkb_angular_readout(size_t n, const double *nngp_table, const double *body_table, double bias_var,
                         double root_qi, const double *root_qj, const double *sigma, const double *det,
                         double *nngp, double *ntk, double *head, double *body) {
    int finite = 1;
    size_t done = 0;
#if NTKB_HAVE_AVX2_PATH
    if (ntkb_uses_avx512())
        done = angular_avx512(n, nngp_table, body_table, bias_var, root_qi, root_qj, sigma, det, nngp, ntk, head, body,
                              &finite);
    if (ntkb_uses_avx2())
        done += angular_avx2(n - done, nngp_table, body_table, bias_var, root_qi, root_qj + done, sigma + done,
                             det + done, nngp ? nngp + done : NULL, ntk ? ntk + done : NULL, head ? head + done : NULL,
                             body ? body + done : NULL, &finite);
#endif
    finite &= angular_scalar(done, n, nngp_table, body_table, bias_var, root_qi, root_qj, sigma, det, nngp, ntk, head, body);
    return finite;
}
