import RealModule

/// The two scalar functions that turn a kernel's eigenvalue into the effect of training on it
/// (theory.md §3 and §4). Training a model linear in its parameters, with tangent kernel
/// eigenvalue s, on a sum loss:
///
/// - by gradient flow with rate r for time t multiplies the residual's component by e^{−r·t·s},
///   so the fitted coefficient is (1 − e^{−r·t·s})/s;
/// - by k steps of gradient descent with rate r multiplies it by (1 − r·s)^k, giving
///   (1 − (1 − r·s)^k)/s.
///
/// Both tend to r·t (resp. r·k) as s → 0 and are evaluated without cancellation there. The inner
/// loop's t(s) and the outer loop's h(φ) are these same functions.
public enum SpectralFactor {
    /// (1 − e^{−r·t·s})/s, = r·t·φ₁(r·t·s) with φ₁(x) = −expm1(−x)/x, φ₁(0) = 1.
    public static func gradientFlow(_ s: Double, rate r: Double, time t: Double) -> Double {
        let x = r * t * s
        return x == 0 ? r * t : -Double.expMinusOne(-x) / s
    }

    /// (1 − (1 − r·s)^k)/s; for |r·s| < 1/2 as −expm1(k·log1p(−r·s))/s, which keeps its digits as
    /// s → 0; one step gives exactly r.
    public static func gradientDescent(_ s: Double, rate r: Double, steps k: Int) -> Double {
        let x = r * s
        if x == 0 { return r * Double(k) }
        if abs(x) < 0.5 { return -Double.expMinusOne(Double(k) * Double.log(onePlus: -x)) / s }
        return (1 - Double.pow(1 - x, k)) / s
    }

    /// The largest rate for which gradient descent does not diverge on eigenvalues up to
    /// `largestEigenvalue`: |1 − r·s| ≤ 1, i.e. r ≤ 2/s_max.
    public static func stableRateBound(largestEigenvalue: Double) -> Double {
        largestEigenvalue > 0 ? 2 / largestEigenvalue : .infinity
    }

    /// The largest rate r for which gradient descent r ← (I − r·M)·r on a matrix M that need not be
    /// symmetric does not diverge: every eigenvalue λ = a + i·b needs |1 − r·λ| ≤ 1, i.e.
    /// r ≤ 2a/|λ|², so the bound is the least 2a/|λ|² over the eigenvalues. Eigenvalues of modulus
    /// at most `negligible`·ρ(M) are left out (by default 1e-12: round-off of zero modes; at
    /// r ≤ 2/ρ a mode of modulus ε·ρ grows by at most 1 + 4ε + 4ε² a step, so with ε = 1e-6 it
    /// takes more than 2·10⁵ steps to grow e-fold). The bound is 0 when another eigenvalue has
    /// a ≤ 0 (no positive rate is stable), +∞ for the zero matrix.
    public static func stableRateBound(realParts: [Double], imaginaryParts: [Double],
                                       negligible: Double = 1e-12) -> Double {
        let moduli = zip(realParts, imaginaryParts).map { ($0 * $0 + $1 * $1).squareRoot() }
        let floor = negligible * (moduli.max() ?? 0)
        var bound = Double.infinity
        for (k, modulus) in moduli.enumerated() where modulus > floor {
            bound = min(bound, max(0, 2 * realParts[k] / (modulus * modulus)))
        }
        return bound
    }
}
