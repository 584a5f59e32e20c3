// One convolution layer of Σ and Θ in a single pass (see CNumerics.h, ntkb_box_convolve_pair).
//
// The arithmetic is that of two ntkb_box_convolve calls, in the same order: per site the
// vertical tap sum V = ((0 + x[v0]) + x[v1]) + …, then the horizontal sum of V over the taps
// ((0 + V[h0]) + V[h1]) + …, then Σ′ = fma(scale, ΣV, shift) and Θ′ = fma(scale, ΣV_Θ, 0) + Σ′.
// What changes is where the sums live: a 3-wide horizontal window slides over the row in
// registers, so a site costs the vertical loads only (instead of a second pass through a
// scratch image and back), and Σ and Θ go through together, strip by strip of eight pairs.
#include <math.h>
#include <string.h>
#include "CNumerics.h"
#include "vector_math.h"

/// Whether every tap t of position b reads position b + t − radius (no padding, no wrap).
static int reads_neighbours(const long *source, size_t taps, size_t b) {
    const long radius = (long)(taps / 2);
    for (size_t t = 0; t < taps; t++) {
        const long v = source[b * taps + t];
        if (v < 0 || v != (long)b + (long)t - radius) return 0;
    }
    return 1;
}

/// The two-pass fallback (no AVX-512): copies, then ntkb_box_convolve on the copies.
static void convolve_pair_in_two_passes(size_t vertical_positions, size_t vertical_taps, const long *vertical_source,
                                        size_t horizontal_positions, size_t horizontal_taps,
                                        const long *horizontal_source, size_t pairs, double scale, double shift,
                                        const double *sigma, const double *theta, double *sigma_out,
                                        double *theta_out, double *scratch) {
    const size_t values = vertical_positions * horizontal_positions * pairs;
    memcpy(sigma_out, sigma, values * sizeof(double));
    ntkb_box_convolve(vertical_positions, vertical_taps, vertical_source, horizontal_positions, horizontal_taps,
                      horizontal_source, pairs, scale, shift, NULL, sigma_out, scratch);
    if (!theta) {
        memcpy(theta_out, sigma_out, values * sizeof(double));
        return;
    }
    memcpy(theta_out, theta, values * sizeof(double));
    ntkb_box_convolve(vertical_positions, vertical_taps, vertical_source, horizontal_positions, horizontal_taps,
                      horizontal_source, pairs, scale, 0, sigma_out, theta_out, scratch);
}

#if NTKB_HAVE_AVX2_PATH
enum { kept_flag = 1, slides_flag = 2 };

/// The sources of the vertical taps of output row a (padding taps dropped, tap order kept).
static size_t vertical_rows(const long *vertical_source, size_t taps, size_t a, size_t run, const double *state,
                            const double **rows) {
    size_t count = 0;
    for (size_t t = 0; t < taps; t++) {
        const long v = vertical_source[a * taps + t];
        if (v >= 0) rows[count++] = state + (size_t)v * run;
    }
    return count;
}

/// The sweep along one output row for eight pairs (lanes under `mask`) of one kind (Σ, or Θ
/// with the new Σ as `addend`), from the rows of its `count` vertical taps inside the image:
/// vertical sums V at every position, kept in `row` where another position's table reads them,
/// and for the positions that read their neighbours the window (V[b − 1] + V[b]) + V[b + 1],
/// whose first sum is the previous position's second. (V is never −0: it starts from +0 + x, so
/// the window needs no leading +0.) Inlined, so that the usual three taps unroll.
NTKB_AVX512 static inline __attribute__((always_inline)) void sweep_rows(size_t positions, const unsigned char *flags, size_t count,
                                   const double *const *rows, const double *addend, size_t pairs, __mmask8 mask,
                                   double scale_s, double shift_s, double *out, double *row) {
    const __m512d zero = _mm512_setzero_pd(), scale = _mm512_set1_pd(scale_s), shift = _mm512_set1_pd(shift_s);
    __m512d previous = zero, partial = zero;
    for (size_t b = 0, at = 0; b < positions; b++, at += pairs) {
        __m512d v = zero;
        for (size_t c = 0; c < count; c++) v = _mm512_add_pd(v, _mm512_maskz_loadu_pd(mask, rows[c] + at));
        if (flags[b] & kept_flag) _mm512_storeu_pd(row + 8 * b, v);
        if (b >= 2 && (flags[b - 1] & slides_flag)) {
            __m512d value = _mm512_fmadd_pd(scale, _mm512_add_pd(partial, v), shift);
            if (addend) value = _mm512_add_pd(value, _mm512_maskz_loadu_pd(mask, addend + at - pairs));
            _mm512_mask_storeu_pd(out + at - pairs, mask, value);
        }
        partial = _mm512_add_pd(previous, v);
        previous = v;
    }
}

/// The positions of a row that do not slide: their horizontal taps read the kept sums in `row`.
NTKB_AVX512 static void finish_row(size_t positions, size_t taps, const long *horizontal_source,
                                   const unsigned char *flags, const double *addend, size_t pairs, __mmask8 mask,
                                   double scale_s, double shift_s, double *out, const double *row) {
    const __m512d zero = _mm512_setzero_pd(), scale = _mm512_set1_pd(scale_s), shift = _mm512_set1_pd(shift_s);
    for (size_t b = 0, at = 0; b < positions; b++, at += pairs) {
        if (flags[b] & slides_flag) continue;
        __m512d sum = zero;
        for (size_t tap = 0; tap < taps; tap++) {
            const long h = horizontal_source[b * taps + tap];
            if (h >= 0) sum = _mm512_add_pd(sum, _mm512_loadu_pd(row + 8 * (size_t)h));
        }
        __m512d value = _mm512_fmadd_pd(scale, sum, shift);
        if (addend) value = _mm512_add_pd(value, _mm512_maskz_loadu_pd(mask, addend + at));
        _mm512_mask_storeu_pd(out + at, mask, value);
    }
}

/// One output row of one kind, eight pairs from the row's first value (`out`, `addend` and the
/// sources are already offset to them).
NTKB_AVX512 static void convolve_row(size_t positions, size_t taps, const long *horizontal_source,
                                     const unsigned char *flags, size_t count, const double *const *rows,
                                     size_t k, const double *addend, size_t pairs, __mmask8 mask, double scale,
                                     double shift, double *out, double *row) {
    const double *shifted[count ? count : 1];
    for (size_t c = 0; c < count; c++) shifted[c] = rows[c] + k;
    if (count == 3)   // the usual row, specialized
        sweep_rows(positions, flags, 3, shifted, addend, pairs, mask, scale, shift, out, row);
    else
        sweep_rows(positions, flags, count, shifted, addend, pairs, mask, scale, shift, out, row);
    finish_row(positions, taps, horizontal_source, flags, addend, pairs, mask, scale, shift, out, row);
}

NTKB_AVX512 static void convolve_pair_avx512(size_t vertical_positions, size_t vertical_taps,
                                             const long *vertical_source, size_t horizontal_positions,
                                             size_t horizontal_taps, const long *horizontal_source, size_t pairs,
                                             double scale_s, double shift_s, const double *sigma,
                                             const double *theta, double *sigma_out, double *theta_out,
                                             double *row) {
    const size_t run = horizontal_positions * pairs, taps = vertical_taps;
    // Per position: slides (its sum comes from the window), kept (another position's table reads V).
    unsigned char flags[horizontal_positions];
    for (size_t b = 0; b < horizontal_positions; b++)
        flags[b] = horizontal_taps == 3 && reads_neighbours(horizontal_source, horizontal_taps, b) ? slides_flag : 0;
    for (size_t b = 0; b < horizontal_positions; b++) {
        if (flags[b] & slides_flag) continue;
        for (size_t tap = 0; tap < horizontal_taps; tap++) {
            const long h = horizontal_source[b * horizontal_taps + tap];
            if (h >= 0) flags[h] |= kept_flag;
        }
    }
    const double *rows_sigma[vertical_positions * taps + 1], *rows_theta[vertical_positions * taps + 1];
    size_t counts[vertical_positions];
    for (size_t a = 0; a < vertical_positions; a++) {
        counts[a] = vertical_rows(vertical_source, taps, a, run, sigma, rows_sigma + a * taps);
        if (theta) vertical_rows(vertical_source, taps, a, run, theta, rows_theta + a * taps);
    }
    // Strips of eight pairs, all rows each: the input rows a strip row reads stay in L1.
    for (size_t k = 0; k < pairs; k += 8) {
        const __mmask8 mask = pairs - k >= 8 ? 0xFF : (__mmask8)((1u << (pairs - k)) - 1);
        for (size_t a = 0; a < vertical_positions; a++) {
            double *out_sigma = sigma_out + a * run + k, *out_theta = theta_out + a * run + k;
            convolve_row(horizontal_positions, horizontal_taps, horizontal_source, flags, counts[a],
                         rows_sigma + a * taps, k, NULL, pairs, mask, scale_s, shift_s, out_sigma, row);
            if (theta) {
                convolve_row(horizontal_positions, horizontal_taps, horizontal_source, flags, counts[a],
                             rows_theta + a * taps, k, out_sigma, pairs, mask, scale_s, 0.0, out_theta, row);
            } else {   // Θ′ = Σ′
                for (size_t b = 0, at = 0; b < horizontal_positions; b++, at += pairs)
                    _mm512_mask_storeu_pd(out_theta + at, mask, _mm512_maskz_loadu_pd(mask, out_sigma + at));
            }
        }
    }
}
#endif

void ntkb_box_convolve_pair(size_t vertical_positions, size_t vertical_taps, const long *vertical_source,
                            size_t horizontal_positions, size_t horizontal_taps, const long *horizontal_source,
                            size_t pairs, double scale, double shift, const double *sigma, const double *theta,
                            double *sigma_out, double *theta_out, double *scratch) {
#if NTKB_HAVE_AVX2_PATH
    if (ntkb_uses_avx512()) {
        convolve_pair_avx512(vertical_positions, vertical_taps, vertical_source, horizontal_positions,
                             horizontal_taps, horizontal_source, pairs, scale, shift, sigma, theta, sigma_out,
                             theta_out, scratch);
        return;
    }
#endif
    convolve_pair_in_two_passes(vertical_positions, vertical_taps, vertical_source, horizontal_positions,
                                horizontal_taps, horizontal_source, pairs, scale, shift, sigma, theta, sigma_out,
                                theta_out, scratch);
}
