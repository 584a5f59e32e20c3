import CNumerics

/// The kernel maps of one layer (theory.md §1): for a pair of pre-activations
/// (u, v) ~ N(0, [[q_i, Σ], [Σ, q_j]]),
///
///     Σ̂ = E[φ(u)φ(v)]   (the NNGP map)       Σ̇ = E[φ'(u)φ'(v)]   (the derivative map)
///
/// in closed form for identity, the ABReLU family (ReLU, leaky ReLU), erf and GELU (vectorized
/// in `CNumerics`), by quadrature otherwise. The diagonal maps are the same formulas evaluated
/// at the exact diagonal (Σ = q, det = 0), so each formula has one home.
struct DualActivation: Sendable {
    enum Form: Sendable {
        case identity
        case abReLU(a: Double, b: Double)
        case erf
        case gelu
        case quadrature(QuadratureDualMaps)
    }

    let form: Form

    init(_ activation: Activation, quadrature: QuadratureRule) {
        if let (a, b) = activation.abReLUSlopes {
            form = .abReLU(a: a, b: b)
        } else {
            switch activation {
            case .identity: form = .identity
            case .erf: form = .erf
            case .gelu: form = .gelu
            default: form = .quadrature(QuadratureDualMaps(activation: activation, rule: quadrature))
            }
        }
    }

    /// True when the recursion must carry det = q_i·q_j − Σ² for this activation: the
    /// ABReLU maps depend on the angle θ, which is ill-conditioned near ρ = ±1 unless det is
    /// carried exactly.
    var carriesDeterminant: Bool {
        if case .abReLU = form { return true }
        return false
    }

    /// Σ̂ and Σ̇ for `count` pairs (x_i, x_j) of a row segment, from the variances q and their
    /// square roots. When the recursion carries det, `nextDeterminant` (if given) receives det
    /// for the hidden step Σ' = w·Σ̂ + v with w = `weightVariance`, v = `biasVariance`.
    func pairs(count: Int, qi: Double, rootQi: Double, qj: UnsafePointer<Double>, rootQj: UnsafePointer<Double>,
               sigma: UnsafePointer<Double>,
               determinant: UnsafePointer<Double>?, sigmaHat: UnsafeMutablePointer<Double>,
               sigmaDot: UnsafeMutablePointer<Double>, nextDeterminant: UnsafeMutablePointer<Double>?,
               weightVariance: Double, biasVariance: Double) {
        switch form {
        case .identity:
            sigmaHat.update(from: sigma, count: count)
            sigmaDot.update(repeating: 1, count: count)
        case let .abReLU(a, b):
            ntkb_abrelu_dual(count, a, b, weightVariance, biasVariance, rootQi, rootQj, sigma, determinant!,
                             sigmaHat, sigmaDot, nextDeterminant)
        case .erf:
            ntkb_erf_dual(count, qi, rootQi, qj, rootQj, sigma, sigmaHat, sigmaDot)
        case .gelu:
            ntkb_gelu_dual(count, qi, rootQi, qj, rootQj, sigma, sigmaHat, sigmaDot)
        case let .quadrature(maps):
            for k in 0..<count {
                (sigmaHat[k], sigmaDot[k]) = maps.pair(q1: qi, q2: qj[k], sigma: sigma[k])
            }
        }
    }

    /// Σ̂(x, x) and Σ̇(x, x) for a point of variance q: the pair maps at Σ = q, det = 0.
    func diagonal(_ q: Double) -> (hat: Double, dot: Double) {
        if case let .quadrature(maps) = form { return maps.diagonal(q) }
        var qCopy = q, root = q.squareRoot(), zero = 0.0, hat = 0.0, dot = 0.0
        pairs(count: 1, qi: q, rootQi: root, qj: &qCopy, rootQj: &root, sigma: &qCopy, determinant: &zero,
              sigmaHat: &hat, sigmaDot: &dot, nextDeterminant: nil, weightVariance: 0, biasVariance: 0)
        return (hat, dot)
    }
}
