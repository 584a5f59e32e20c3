// Closed-form dual maps of sin, cos, exp, the Gaussian e^{−x²}, sign/step (angle-only maps with
// det carried) and the rectified monomials (arc-cosine kernels). See CNumerics.h.
#include <math.h>
#include "CNumerics.h"

static const double pi = 3.141592653589793238462643383280;

/// e^{−(qi+qj)/2}·sinh Σ (odd = 1) or ·cosh Σ (odd = 0), without overflow: for |Σ| < 700 directly,
/// beyond as ½(e^{Σ−m} ± e^{−Σ−m}), m = (qi+qj)/2 (Σ − m ≤ −(√qi − √qj)²/2 ≤ 0).
static inline double damped_hyperbolic(double s, double m, int odd) {
    if (fabs(s) < 700) return exp(-m) * (odd ? sinh(s) : cosh(s));
    return 0.5 * (exp(s - m) + (odd ? -1 : 1) * exp(-s - m));
}

void ntkb_trig_dual(size_t n, int cosine, double qi, const double *qj, const double *sigma,
                    double *sigma_hat, double *sigma_dot) {
    for (size_t j = 0; j < n; j++) {
        const double m = 0.5 * (qi + qj[j]), s = sigma[j];
        const double odd = damped_hyperbolic(s, m, 1), even = damped_hyperbolic(s, m, 0);
        sigma_hat[j] = cosine ? even : odd;
        sigma_dot[j] = cosine ? odd : even;
    }
}

void ntkb_exp_dual(size_t n, double qi, const double *qj, const double *sigma, double *sigma_hat, double *sigma_dot) {
    for (size_t j = 0; j < n; j++) {
        const double value = exp(0.5 * (qi + qj[j]) + sigma[j]);
        sigma_hat[j] = value;
        sigma_dot[j] = value;
    }
}

void ntkb_gaussian_dual(size_t n, double qi, double root_qi, const double *qj, const double *root_qj,
                        const double *sigma, double *sigma_hat, double *sigma_dot) {
    for (size_t j = 0; j < n; j++) {
        const double s = sigma[j], r = root_qi * root_qj[j];
        const double d = 1 + 2 * (qi + qj[j]) + 4 * (r - s) * (r + s);
        const double root = sqrt(d);
        sigma_hat[j] = 1 / root;
        sigma_dot[j] = 4 * s / (d * root);
    }
}

void ntkb_angular_dual(size_t n, double c0, double c1, double weight_var, double bias_var,
                       double root_qi, const double *root_qj, const double *sigma, const double *det,
                       double *sigma_hat, double *sigma_dot, double *next_det) {
    const double w = weight_var, v = bias_var;
    for (size_t j = 0; j < n; j++) {
        const double r = root_qi * root_qj[j];
        if (r == 0) {   // a zero-variance point: φ(0)·φ(v) with φ(0) = 0 for sign and the step
            sigma_hat[j] = 0;
            sigma_dot[j] = 0;
            if (next_det) {
                const double qa = root_qi == 0 ? v : w * (c0 + c1) + v, qb = root_qj[j] == 0 ? v : w * (c0 + c1) + v;
                next_det[j] = qa * qb - v * v;
            }
            continue;
        }
        const double theta = atan2(sqrt(det[j] > 0 ? det[j] : 0), sigma[j]);
        const double angle = 2 * theta / pi;
        sigma_hat[j] = c0 + c1 * (1 - angle);
        sigma_dot[j] = 0;
        if (next_det) next_det[j] = w * c1 * angle * (2 * v + w * (2 * c0 + c1 * (2 - angle)));
    }
}

/// Σ_k c[k]·x^k, k = 0…degree.
static inline double horner(const double *c, size_t degree, double x) {
    double p = c[degree];
    for (size_t k = degree; k-- > 0;) p = p * x + c[k];
    return p;
}

void ntkb_arccos_dual(size_t n, size_t degree, const double *p_hat, const double *r_hat,
                      const double *p_dot, const double *r_dot, double root_qi, const double *root_qj,
                      const double *sigma, double *sigma_hat, double *sigma_dot) {
    const double scale_dot = (double)(degree * degree) / (2 * pi);
    for (size_t j = 0; j < n; j++) {
        const double r = root_qi * root_qj[j], s = sigma[j];
        if (r == 0) {
            sigma_hat[j] = 0;
            sigma_dot[j] = 0;
            continue;
        }
        double rho = s / r;
        if (rho > 1) rho = 1;
        if (rho < -1) rho = -1;
        const double gap = (r - s) * (r + s);
        const double sine = sqrt(gap > 0 ? gap : 0) / r;        // sin θ
        const double remaining = pi - atan2(sine, rho);          // π − θ
        const double rn = pow(r, (double)(degree - 1));
        sigma_hat[j] = rn * r / (2 * pi) * (horner(p_hat, degree, rho) * remaining + horner(r_hat, degree, rho) * sine);
        sigma_dot[j] = degree == 0 ? 0 : scale_dot * rn
            * (horner(p_dot, degree - 1, rho) * remaining + horner(r_dot, degree - 1, rho) * sine);
    }
}
