// Truncated Hermite (Mehler) series of the smooth activations' dual maps (see CNumerics.h).
#include <math.h>
#include "CNumerics.h"
#include "vector_math.h"

/// Columns per pass: ρ and the two accumulators of a chunk stay in L1 while the coefficient rows
/// stream past.
#define CHUNK 256

static inline __attribute__((always_inline))
void series_body(size_t n, size_t terms, size_t first, size_t step, const double *rho, const double *ci,
                 const double *cj, size_t stride, double *out) {
    double power[CHUNK];
    for (size_t start = 0; start < n; start += CHUNK) {
        const size_t m = n - start < CHUNK ? n - start : CHUNK;
        const double *x = rho + start;
        double *sum = out + start;
        if (terms == 0) {
            for (size_t j = 0; j < m; j++) sum[j] = 0;
            continue;
        }
        for (size_t j = 0; j < m; j++) power[j] = step == 2 ? x[j] * x[j] : x[j];
        {
            const double a = ci[terms - 1];
            const double *row = cj + (terms - 1) * stride + start;
            for (size_t j = 0; j < m; j++) sum[j] = a * row[j];
        }
        for (size_t t = terms - 1; t-- > 0;) {
            const double a = ci[t];
            const double *row = cj + t * stride + start;
            for (size_t j = 0; j < m; j++) sum[j] = sum[j] * power[j] + a * row[j];
        }
        if (first == 1) for (size_t j = 0; j < m; j++) sum[j] *= x[j];
    }
}

static void series_portable(size_t n, size_t terms, size_t first, size_t step, const double *rho, const double *ci,
                            const double *cj, size_t stride, double *out) {
    series_body(n, terms, first, step, rho, ci, cj, stride, out);
}

#if NTKB_HAVE_AVX2_PATH
NTKB_AVX2 static void series_avx2(size_t n, size_t terms, size_t first, size_t step, const double *rho, const double *ci,
                                  const double *cj, size_t stride, double *out) {
    series_body(n, terms, first, step, rho, ci, cj, stride, out);
}
#endif

void ntkb_hermite_sum(size_t n, size_t terms, size_t first, size_t step, const double *rho, const double *ci,
                      const double *cj, size_t stride, double *out) {
#if NTKB_HAVE_AVX2_PATH
    if (ntkb_uses_avx2()) {
        series_avx2(n, terms, first, step, rho, ci, cj, stride, out);
        return;
    }
#endif
    series_portable(n, terms, first, step, rho, ci, cj, stride, out);
}

double ntkb_correlations(size_t n, double root_qi, const double *root_qj, const double *sigma, double limit, double *rho) {
    double largest = 0;
    for (size_t j = 0; j < n; j++) {
        const double r = root_qi * root_qj[j];
        double c = r > 0 ? sigma[j] / r : 0;
        c = c > 1 ? 1 : (c < -1 ? -1 : c);
        rho[j] = c;
        const double a = fabs(c);
        if (a <= limit && a > largest) largest = a;
    }
    return largest;
}
