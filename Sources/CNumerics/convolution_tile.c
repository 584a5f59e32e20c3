// Fused per-tile passes of the convolutional kernel engine (see CNumerics.h): the whole box
// convolution of an offset class, and the ABReLU activation of every site of a tile, each in
// one call, so that no per-site call crosses from Swift. Arithmetic is that of ntkb_sum_runs,
// ntkb_pair_determinant and ntkb_activation_update, in the same order; the angle of a pair comes
// from its half angle (`ntkb_pair_angle_*`, fewer operations than atan2; the scalar tail uses atan2).
// On AVX-512 the activation takes every lane of a tile itself (masked tails) with the reduction
// chosen by arithmetic (`ntkb_pair_angle_permuted_avx512`), so a pair's bits never depend on its lane.
#include <math.h>
#include "CNumerics.h"
#include "vector_math.h"

static const double two_pi = 6.283185307179586476925286766559;

/// Whether every tap t of position b reads position b + t − radius (no padding, no wrap).
static int regular_position(const long *source, size_t taps, size_t b, long radius) {
    for (size_t t = 0; t < taps; t++) {
        const long v = source[b * taps + t];
        if (v < 0 || v != (long)b + (long)t - radius) return 0;
    }
    return 1;
}

void ntkb_box_convolve(size_t vertical_positions, size_t vertical_taps, const long *vertical_source,
                       size_t horizontal_positions, size_t horizontal_taps, const long *horizontal_source,
                       size_t pairs, double scale, double shift, const double *addend, double *state,
                       double *scratch) {
    const size_t run = horizontal_positions * pairs;
    const double *sources[vertical_taps > horizontal_taps ? vertical_taps : horizontal_taps];
    for (size_t a = 0; a < vertical_positions; a++) {
        size_t count = 0;
        for (size_t t = 0; t < vertical_taps; t++) {
            const long v = vertical_source[a * vertical_taps + t];
            if (v >= 0) sources[count++] = state + (size_t)v * run;
        }
        ntkb_sum_runs(run, sources, count, 1, 0, NULL, scratch + a * run);
    }
    const long radius = (long)(horizontal_taps / 2);
    for (size_t a = 0; a < vertical_positions; a++) {
        const double *row = scratch + a * run;
        size_t b = 0;
        while (b < horizontal_positions) {
            // A maximal stretch of positions whose taps all read b + t − radius is one run of sums.
            size_t end = b;
            while (end < horizontal_positions && regular_position(horizontal_source, horizontal_taps, end, radius)) end++;
            if (end > b) {
                for (size_t t = 0; t < horizontal_taps; t++)
                    sources[t] = row + (size_t)((long)b + (long)t - radius) * pairs;
                const size_t offset = a * run + b * pairs;
                ntkb_sum_runs((end - b) * pairs, sources, horizontal_taps, scale, shift,
                              addend ? addend + offset : NULL, state + offset);
                b = end;
                continue;
            }
            size_t count = 0;
            for (size_t t = 0; t < horizontal_taps; t++) {
                const long h = horizontal_source[b * horizontal_taps + t];
                if (h >= 0) sources[count++] = row + (size_t)h * pairs;
            }
            const size_t offset = a * run + b * pairs;
            ntkb_sum_runs(pairs, sources, count, scale, shift, addend ? addend + offset : NULL, state + offset);
            b++;
        }
    }
}

static void activate_scalar(size_t start, size_t n, double m, double c, double root_qi, const double *root_qj,
                            double *sigma, double *theta) {
    for (size_t k = start; k < n; k++) {
        const double s_ij = sigma[k];
        const double r = root_qi * root_qj[k];
        const double det = (r - s_ij) * (r + s_ij);
        const double s = sqrt(det > 0 ? det : 0);
        const double angle = atan2(s, s_ij);
        const double dot = m - c * angle;
        sigma[k] = c * s + s_ij * dot;
        theta[k] *= dot;
    }
}

#if NTKB_HAVE_AVX2_PATH
NTKB_AVX2 static size_t activate_avx2(size_t n, double m_s, double c_s, double root_qi, const double *root_qj,
                                      double *sigma, double *theta) {
    const __m256d m = _mm256_set1_pd(m_s), c = _mm256_set1_pd(c_s), zero = _mm256_setzero_pd();
    const __m256d ri = _mm256_set1_pd(root_qi);
    size_t k = 0;
    for (; k + 8 <= n; k += 8) {   // two independent vectors per step: the atan2 chains overlap
        const __m256d s0 = _mm256_loadu_pd(sigma + k), s1 = _mm256_loadu_pd(sigma + k + 4);
        const __m256d r0 = _mm256_mul_pd(ri, _mm256_loadu_pd(root_qj + k)), r1 = _mm256_mul_pd(ri, _mm256_loadu_pd(root_qj + k + 4));
        const __m256d q0 = _mm256_sqrt_pd(_mm256_max_pd(_mm256_mul_pd(_mm256_sub_pd(r0, s0), _mm256_add_pd(r0, s0)), zero));
        const __m256d q1 = _mm256_sqrt_pd(_mm256_max_pd(_mm256_mul_pd(_mm256_sub_pd(r1, s1), _mm256_add_pd(r1, s1)), zero));
        const __m256d a0 = ntkb_pair_angle_avx2(q0, s0, r0), a1 = ntkb_pair_angle_avx2(q1, s1, r1);
        const __m256d d0 = _mm256_fnmadd_pd(c, a0, m), d1 = _mm256_fnmadd_pd(c, a1, m);
        _mm256_storeu_pd(sigma + k, _mm256_fmadd_pd(c, q0, _mm256_mul_pd(s0, d0)));
        _mm256_storeu_pd(sigma + k + 4, _mm256_fmadd_pd(c, q1, _mm256_mul_pd(s1, d1)));
        _mm256_storeu_pd(theta + k, _mm256_mul_pd(_mm256_loadu_pd(theta + k), d0));
        _mm256_storeu_pd(theta + k + 4, _mm256_mul_pd(_mm256_loadu_pd(theta + k + 4), d1));
    }
    for (; k + 4 <= n; k += 4) {
        const __m256d s_ij = _mm256_loadu_pd(sigma + k);
        const __m256d r = _mm256_mul_pd(ri, _mm256_loadu_pd(root_qj + k));
        const __m256d det = _mm256_mul_pd(_mm256_sub_pd(r, s_ij), _mm256_add_pd(r, s_ij));
        const __m256d s = _mm256_sqrt_pd(_mm256_max_pd(det, zero));
        const __m256d angle = ntkb_pair_angle_avx2(s, s_ij, r);
        const __m256d dot = _mm256_fnmadd_pd(c, angle, m);
        _mm256_storeu_pd(sigma + k, _mm256_fmadd_pd(c, s, _mm256_mul_pd(s_ij, dot)));
        _mm256_storeu_pd(theta + k, _mm256_mul_pd(_mm256_loadu_pd(theta + k), dot));
    }
    return k;
}
/// Every site of a tile on eight lanes (the call's whole work: no per-site call, constants held
/// in registers), each site's last partial vector under a mask, so every pair takes the same
/// operations whatever its lane; the angle by `ntkb_pair_angle_permuted_avx512`. det is formed
/// as (r − |Σ|)(r + |Σ|), the same product as (r − Σ)(r + Σ), with r + |Σ| shared with the angle.
NTKB_AVX512 static void activate_sites_avx512(size_t sites, size_t pairs, double m_s, double c_s,
                                              const long *first_pixel, const long *second_pixel,
                                              const double *root_row, size_t row_stride,
                                              const double *root_columns, size_t column_stride, long diagonal,
                                              const double *exact_hat, const double *exact_dot, double *sigma,
                                              double *theta) {
    const __m512d m = _mm512_set1_pd(m_s), c = _mm512_set1_pd(c_s), zero = _mm512_setzero_pd();
    for (size_t site = 0; site < sites; site++) {
        const size_t p = (size_t)first_pixel[site], q = (size_t)second_pixel[site];
        const __m512d ri = _mm512_set1_pd(root_row[p * row_stride]);
        const double *root_qj = root_columns + q * column_stride;
        double *sig = sigma + site * pairs, *th = theta + site * pairs;
        const int exact = diagonal >= 0 && p == q;
        const double theta_before = exact ? th[diagonal] : 0;
        for (size_t k = 0; k < pairs; k += 8) {
            const __mmask8 lanes = pairs - k >= 8 ? 0xFF : (__mmask8)((1u << (pairs - k)) - 1);
            const __m512d s_ij = _mm512_maskz_loadu_pd(lanes, sig + k);
            const __m512d r = _mm512_mul_pd(ri, _mm512_maskz_loadu_pd(lanes, root_qj + k));
            const __m512d magnitude = _mm512_abs_pd(s_ij), large = _mm512_add_pd(r, magnitude);
            const __m512d det = _mm512_mul_pd(_mm512_sub_pd(r, magnitude), large);
            const __m512d s = _mm512_sqrt_pd(_mm512_max_pd(det, zero));
            const __m512d dot = _mm512_fnmadd_pd(c, ntkb_pair_angle_permuted_avx512(s, large, s_ij), m);
            _mm512_mask_storeu_pd(sig + k, lanes, _mm512_fmadd_pd(c, s, _mm512_mul_pd(s_ij, dot)));
            _mm512_mask_storeu_pd(th + k, lanes, _mm512_mul_pd(_mm512_maskz_loadu_pd(lanes, th + k), dot));
        }
        if (exact) {
            sig[diagonal] = exact_hat[p];
            th[diagonal] = theta_before * exact_dot[p];
        }
    }
}
#endif

void ntkb_conv_abrelu_activate(size_t sites, size_t pairs, double a, double b, const long *first_pixel,
                               const long *second_pixel, const double *root_row, size_t row_stride,
                               const double *root_columns, size_t column_stride, long diagonal,
                               const double *exact_hat, const double *exact_dot, double *sigma, double *theta) {
    const double m = 0.5 * (a * a + b * b), c = (a - b) * (a - b) / two_pi;
#if NTKB_HAVE_AVX2_PATH
    if (ntkb_uses_avx512()) {
        activate_sites_avx512(sites, pairs, m, c, first_pixel, second_pixel, root_row, row_stride, root_columns,
                              column_stride, diagonal, exact_hat, exact_dot, sigma, theta);
        return;
    }
    const int vector = ntkb_uses_avx2();
#endif
    for (size_t s = 0; s < sites; s++) {
        const size_t p = (size_t)first_pixel[s], q = (size_t)second_pixel[s];
        const double root_qi = root_row[p * row_stride];
        const double *root_qj = root_columns + q * column_stride;
        double *sig = sigma + s * pairs, *th = theta + s * pairs;
        const int exact = diagonal >= 0 && p == q;
        const double theta_before = exact ? th[diagonal] : 0;
        size_t done = 0;
#if NTKB_HAVE_AVX2_PATH
        if (vector) done = activate_avx2(pairs, m, c, root_qi, root_qj, sig, th);
#endif
        activate_scalar(done, pairs, m, c, root_qi, root_qj, sig, th);
        if (exact) {
            sig[diagonal] = exact_hat[p];
            th[diagonal] = theta_before * exact_dot[p];
        }
    }
}

#pragma STDC FP_CONTRACT OFF   // products and sums rounded separately, as in the Swift they replace

#if NTKB_HAVE_AVX2_PATH
NTKB_AVX512 static void input_products_avx512(size_t sites, size_t pairs, const long *first_pixel,
                                              const long *second_pixel, const double *row,
                                              const double *columns, size_t column_stride, double *sigma) {
    for (size_t site = 0; site < sites; site++) {
        const __m512d value = _mm512_set1_pd(row[first_pixel[site]]);
        const double *run = columns + (size_t)second_pixel[site] * column_stride;
        double *out = sigma + site * pairs;
        for (size_t k = 0; k < pairs; k += 8) {
            const __mmask8 lanes = pairs - k >= 8 ? 0xFF : (__mmask8)((1u << (pairs - k)) - 1);
            _mm512_mask_storeu_pd(out + k, lanes, _mm512_mul_pd(value, _mm512_maskz_loadu_pd(lanes, run + k)));
        }
    }
}

NTKB_AVX512 static void add_sites_avx512(size_t sites, size_t pairs, const double *values, double *sums) {
    for (size_t k = 0; k < pairs; k += 8) {
        const __mmask8 lanes = pairs - k >= 8 ? 0xFF : (__mmask8)((1u << (pairs - k)) - 1);
        __m512d sum = _mm512_maskz_loadu_pd(lanes, sums + k);
        for (size_t site = 0; site < sites; site++)
            sum = _mm512_add_pd(sum, _mm512_maskz_loadu_pd(lanes, values + site * pairs + k));
        _mm512_mask_storeu_pd(sums + k, lanes, sum);
    }
}
#endif

void ntkb_conv_input_products(size_t sites, size_t pairs, size_t channels, const long *first_pixel,
                              const long *second_pixel, const double *row, const double *columns,
                              size_t column_stride, double *sigma) {
#if NTKB_HAVE_AVX2_PATH
    if (channels == 1 && ntkb_uses_avx512()) {
        input_products_avx512(sites, pairs, first_pixel, second_pixel, row, columns, column_stride, sigma);
        return;
    }
#endif
    const double scale = 1.0 / (double)channels;
    for (size_t site = 0; site < sites; site++) {
        const double *pixel = row + (size_t)first_pixel[site] * channels;
        const double *run = columns + (size_t)second_pixel[site] * column_stride;
        double *out = sigma + site * pairs;
        if (channels == 1) {
            for (size_t k = 0; k < pairs; k++) out[k] = pixel[0] * run[k];
            continue;
        }
        for (size_t k = 0; k < pairs; k++) {
            double sum = 0;
            for (size_t m = 0; m < channels; m++) {
                const double product = pixel[m] * run[k * channels + m];
                sum += product;
            }
            out[k] = sum * scale;
        }
    }
}

void ntkb_conv_add_sites(size_t sites, size_t pairs, const double *sigma, const double *theta, double *sum_sigma,
                         double *sum_theta) {
#if NTKB_HAVE_AVX2_PATH
    if (ntkb_uses_avx512()) {
        add_sites_avx512(sites, pairs, sigma, sum_sigma);
        add_sites_avx512(sites, pairs, theta, sum_theta);
        return;
    }
#endif
    for (size_t site = 0; site < sites; site++) {
        for (size_t k = 0; k < pairs; k++) {
            sum_sigma[k] += sigma[site * pairs + k];
            sum_theta[k] += theta[site * pairs + k];
        }
    }
}
