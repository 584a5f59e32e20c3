import CNumerics

/// The kernel maps of one layer (theory.md §1): for a pair of pre-activations
/// (u, v) ~ N(0, [[q_i, Σ], [Σ, q_j]]),
///
///     Σ̂ = E[φ(u)φ(v)]   (the NNGP map)       Σ̇ = E[φ′(u)φ′(v)]   (the derivative map)
///
/// computed in the form `Activation.dualForm` names (Docs/activations.md): closed forms
/// (vectorized in `CNumerics`), a Hermite (Mehler) series with per-point coefficients, quadrature,
/// or a map the user supplied.
///
/// ## Calling it (the elementwise entry point)
///
/// Per layer, build the per-point state once from the points' variances q = Σ(x, x):
///
///     let state = dual.prepare(variances: q)          // PreparedVariances
///
/// It holds q, √q, the exact diagonal maps (`state.hat[p]`, `state.dot[p]`) and, for the series
/// forms, the Hermite coefficients of every point, addressed by the point's index p. Then, for
/// one row point i of `rows` and a contiguous run of column points `start ..< start + count` of
/// `columns` (the two may be the same state), with Σ[k] = Σ(x_i, x_{start+k}):
///
///     dual.pairs(row: i, of: rows, columns: start, count: count, of: columns,
///                sigma: Σ, determinant: det, sigmaHat: Σ̂, sigmaDot: Σ̇, nextDeterminant: det′,
///                weightVariance: σ_w², biasVariance: σ_b²)
///
/// writes Σ̂[k], Σ̇[k]. When `carriesDeterminant` is true (the ABReLU family, abs, sign, the step),
/// the caller carries det = q_i·q_j − Σ² computed without cancellation (first layer:
/// `InputGeometry.accurateDeterminant`), passes it as `determinant`, and gets the next layer's
/// det for Σ′ = σ_w²·Σ̂ + σ_b² in `nextDeterminant` (nil at the last layer); otherwise both are
/// ignored (pass nil). The diagonal pair of a point with itself should take `state.hat[p]`,
/// `state.dot[p]` (exact). `pairs` is thread-safe: call it from several workers at once.
struct DualActivation: Sendable {
    enum Form: Sendable {
        case identity
        case abReLU(a: Double, b: Double)
        case erf
        case gelu
        /// sin (cosine false) or cos.
        case trigonometric(cosine: Bool)
        case exponential
        case gaussian
        /// Σ̂ = c0 + c1·(1 − 2θ/π), Σ̇ = 0: sign and the step.
        case angular(c0: Double, c1: Double)
        /// The arc-cosine kernel of degree ≥ 2: the polynomials Pₙ, Rₙ, P_{n−1}, R_{n−1}.
        case arcCosine(degree: Int, tables: ArcCosineTables)
        /// A finite Hermite series with exact coefficients (monomial, hermite, polynomial).
        case polynomialSeries(Activation)
        /// A truncated Hermite series, quadrature for the pairs beyond its reach.
        case hermiteSeries(Activation, fallback: QuadratureDualMaps)
        case quadrature(QuadratureDualMaps)
        case userSupplied(CustomActivation.DualMap)
    }

    let form: Form

    init(_ activation: Activation, quadrature: QuadratureRule) {
        let numeric = QuadratureDualMaps(activation: activation, rule: quadrature)
        if let (a, b) = activation.abReLUSlopes {
            form = .abReLU(a: a, b: b)
            return
        }
        switch activation {
        case .identity: form = .identity
        case .erf: form = .erf
        case .gelu: form = .gelu
        case .sin: form = .trigonometric(cosine: false)
        case .cos: form = .trigonometric(cosine: true)
        case .exp: form = .exponential
        case .gaussian: form = .gaussian
        case .sign: form = .angular(c0: 0, c1: 1)
        case .rectifiedMonomial(degree: 0): form = .angular(c0: 0.25, c1: 0.25)
        case let .rectifiedMonomial(n): form = .arcCosine(degree: n, tables: ArcCosineTables(degree: n))
        case .monomial, .hermite, .polynomial: form = .polynomialSeries(activation)
        case .tanh, .softplus, .sigmoid, .silu, .elu, .selu:
            // A fixed Gauss–Hermite rule asked for explicitly is honoured (for comparisons).
            form = quadrature == .trapezoid ? .hermiteSeries(activation, fallback: numeric) : .quadrature(numeric)
        case let .custom(f):
            form = f.dualMap.map { .userSupplied($0) } ?? .quadrature(numeric)
        case .relu, .leakyReLU, .abReLU, .abs: fatalError("unreachable: ABReLU family handled above")
        }
    }

    /// True when the recursion must carry det = q_i·q_j − Σ² for this activation: maps that
    /// depend on the angle θ, which is ill-conditioned near ρ = ±1 unless det is carried exactly.
    var carriesDeterminant: Bool {
        switch form {
        case .abReLU, .angular: return true
        default: return false
        }
    }

    /// The per-point state of one layer: variances, their roots, the exact diagonal maps and
    /// (series forms) the Hermite coefficients.
    func prepare(variances q: [Double]) -> PreparedVariances {
        switch form {
        case let .polynomialSeries(activation):
            let (coefficients, hat, dot) = HermiteExpansion.polynomial(activation, variances: q)
            return PreparedVariances(variance: q, hat: hat, dot: dot, coefficients: coefficients)
        case let .hermiteSeries(activation, _):
            let (coefficients, hat, dot) = HermiteExpansion.numeric(activation, variances: q)
            return PreparedVariances(variance: q, hat: hat, dot: dot, coefficients: coefficients)
        default:
            let (hat, dot) = diagonals(q)
            return PreparedVariances(variance: q, hat: hat, dot: dot, coefficients: nil)
        }
    }

    /// Σ̂ and Σ̇ for the pairs (row i of `rows`, columns start..<start+count of `columns`); see the
    /// type's documentation.
    func pairs(row i: Int, of rows: PreparedVariances, columns start: Int, count: Int, of columns: PreparedVariances,
               sigma: UnsafePointer<Double>, determinant: UnsafePointer<Double>?,
               sigmaHat: UnsafeMutablePointer<Double>, sigmaDot: UnsafeMutablePointer<Double>,
               nextDeterminant: UnsafeMutablePointer<Double>?, weightVariance: Double, biasVariance: Double) {
        let qi = rows.variance[i], rootQi = rows.root[i]
        columns.variance.withUnsafeBufferPointer { qBuffer in
            columns.root.withUnsafeBufferPointer { rootBuffer in
                let qj = qBuffer.baseAddress! + start, rootQj = rootBuffer.baseAddress! + start
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
                case let .trigonometric(cosine):
                    ntkb_trig_dual(count, cosine ? 1 : 0, qi, qj, sigma, sigmaHat, sigmaDot)
                case .exponential:
                    ntkb_exp_dual(count, qi, qj, sigma, sigmaHat, sigmaDot)
                case .gaussian:
                    ntkb_gaussian_dual(count, qi, rootQi, qj, rootQj, sigma, sigmaHat, sigmaDot)
                case let .angular(c0, c1):
                    ntkb_angular_dual(count, c0, c1, weightVariance, biasVariance, rootQi, rootQj, sigma, determinant!,
                                      sigmaHat, sigmaDot, nextDeterminant)
                case let .arcCosine(degree, tables):
                    tables.evaluate(count: count, degree: degree, rootQi: rootQi, rootQj: rootQj, sigma: sigma,
                                    sigmaHat: sigmaHat, sigmaDot: sigmaDot)
                case .polynomialSeries:
                    HermiteSeriesEvaluation(rows: rows, columns: columns, fallback: nil)
                        .run(row: i, start: start, count: count, sigma: sigma, sigmaHat: sigmaHat, sigmaDot: sigmaDot)
                case let .hermiteSeries(_, fallback):
                    HermiteSeriesEvaluation(rows: rows, columns: columns, fallback: fallback)
                        .run(row: i, start: start, count: count, sigma: sigma, sigmaHat: sigmaHat, sigmaDot: sigmaDot)
                case let .quadrature(maps):
                    for k in 0..<count { (sigmaHat[k], sigmaDot[k]) = maps.pair(q1: qi, q2: qj[k], sigma: sigma[k]) }
                case let .userSupplied(map):
                    for k in 0..<count { (sigmaHat[k], sigmaDot[k]) = map(qi, qj[k], sigma[k]) }
                }
            }
        }
    }

    /// The same maps from raw variances, for callers without per-layer state: the row point and
    /// the run are prepared on the spot (for the series forms that computes their Hermite
    /// coefficients on every call; prefer `prepare` once per layer and the indexed `pairs`).
    func pairs(count: Int, qi: Double, rootQi: Double, qj: UnsafePointer<Double>, rootQj: UnsafePointer<Double>,
               sigma: UnsafePointer<Double>, determinant: UnsafePointer<Double>?,
               sigmaHat: UnsafeMutablePointer<Double>, sigmaDot: UnsafeMutablePointer<Double>,
               nextDeterminant: UnsafeMutablePointer<Double>?, weightVariance: Double, biasVariance: Double) {
        guard count > 0 else { return }
        let columnVariances = Array(UnsafeBufferPointer(start: qj, count: count))
        let rows: PreparedVariances, columns: PreparedVariances
        switch form {
        case .polynomialSeries, .hermiteSeries:
            rows = prepare(variances: [qi])
            columns = prepare(variances: columnVariances)
        default:   // closed forms, quadrature and user maps need only q and √q
            rows = PreparedVariances(variance: [qi], hat: [0], dot: [0], coefficients: nil)
            columns = PreparedVariances(variance: columnVariances, hat: [], dot: [], coefficients: nil)
        }
        pairs(row: 0, of: rows, columns: 0, count: count, of: columns, sigma: sigma, determinant: determinant,
              sigmaHat: sigmaHat, sigmaDot: sigmaDot, nextDeterminant: nextDeterminant,
              weightVariance: weightVariance, biasVariance: biasVariance)
    }

    /// Σ̂(x, x) and Σ̇(x, x) for points of variances q (exact), element by element: the pair maps
    /// at Σ = q, det = 0 (for the ABReLU family in closed form, Σ̂ = ½(a² + b²)·q, Σ̇ = ½(a² + b²),
    /// the same values: θ = 0), or quadrature / the series' own rule for the numeric forms.
    func diagonals(_ q: [Double]) -> (hat: [Double], dot: [Double]) {
        switch form {
        case let .quadrature(maps), let .hermiteSeries(_, maps):
            let maps = q.map(maps.diagonal)
            return (maps.map(\.hat), maps.map(\.dot))
        case let .userSupplied(map):
            let maps = q.map { map($0, $0, $0) }
            return (maps.map(\.hat), maps.map(\.dot))
        case .polynomialSeries:
            let state = prepare(variances: q)
            return (state.hat, state.dot)
        case let .abReLU(a, b):
            let m = 0.5 * (a * a + b * b)
            return (q.map { m * $0 }, [Double](repeating: m, count: q.count))
        default:
            return pairDiagonals(q)
        }
    }

    /// `diagonals` of the closed forms: one single-pair call of `pairs` per point, Σ = q_k, det = 0.
    private func pairDiagonals(_ q: [Double]) -> (hat: [Double], dot: [Double]) {
        let zeros = [Double](repeating: 0, count: q.count)
        let state = PreparedVariances(variance: q, hat: zeros, dot: zeros, coefficients: nil)
        var hat = zeros, dot = zeros
        q.withUnsafeBufferPointer { sigma in
            zeros.withUnsafeBufferPointer { determinant in
                hat.withUnsafeMutableBufferPointer { hat in
                    dot.withUnsafeMutableBufferPointer { dot in
                        for k in q.indices {
                            pairs(row: k, of: state, columns: k, count: 1, of: state, sigma: sigma.baseAddress! + k,
                                  determinant: determinant.baseAddress! + k, sigmaHat: hat.baseAddress! + k,
                                  sigmaDot: dot.baseAddress! + k, nextDeterminant: nil,
                                  weightVariance: 0, biasVariance: 0)
                        }
                    }
                }
            }
        }
        return (hat, dot)
    }
}

/// The per-point state of one layer's dual maps (see `DualActivation`): built once per layer
/// from the points' variances, addressed by point index.
struct PreparedVariances: Sendable {
    /// q_p = Σ(x_p, x_p) and √q_p.
    let variance: [Double]
    let root: [Double]
    /// The exact diagonal maps Σ̂(x_p, x_p), Σ̇(x_p, x_p).
    let hat: [Double]
    let dot: [Double]
    /// The Hermite coefficients (series forms only).
    let coefficients: HermiteCoefficients?

    init(variance: [Double], hat: [Double], dot: [Double], coefficients: HermiteCoefficients?) {
        self.variance = variance
        root = variance.map { $0.squareRoot() }
        self.hat = hat
        self.dot = dot
        self.coefficients = coefficients
    }
}

/// Pₙ, Rₙ of the arc-cosine kernel Jₙ(θ) = Pₙ(ρ)(π − θ) + Rₙ(ρ)·sin θ (Cho & Saul 2009) for
/// n and n − 1, from Jₙ = sin^{2n+1}θ·(d/dρ)ⁿ[(π − θ)/sin θ]:
/// P₀ = 1, R₀ = 0, P_{n+1} = (1 − ρ²)Pₙ′ + (2n+1)ρPₙ, R_{n+1} = Pₙ + (1 − ρ²)Rₙ′ + 2nρRₙ.
struct ArcCosineTables: Sendable {
    let pHat: [Double], rHat: [Double], pDot: [Double], rDot: [Double]

    init(degree n: Int) {
        var p: [[Double]] = [[1]], r: [[Double]] = [[0]]
        for m in 0..<n {
            let pm = p[m], rm = r[m]
            func derivative(_ c: [Double]) -> [Double] { HermiteExpansion.derivative(of: c) }
            func oneMinusSquare(_ c: [Double]) -> [Double] {   // (1 − ρ²)·c
                var out = [Double](repeating: 0, count: c.count + 2)
                for (k, v) in c.enumerated() { out[k] += v; out[k + 2] -= v }
                return out
            }
            func timesRho(_ c: [Double], _ s: Double) -> [Double] { [0] + c.map { s * $0 } }
            func add(_ a: [Double], _ b: [Double]) -> [Double] {
                (0..<max(a.count, b.count)).map { (($0 < a.count) ? a[$0] : 0) + (($0 < b.count) ? b[$0] : 0) }
            }
            let nextP = add(oneMinusSquare(derivative(pm)), timesRho(pm, Double(2 * m + 1)))
            let nextR = add(add(pm, oneMinusSquare(derivative(rm))), timesRho(rm, Double(2 * m)))
            p.append(Array(nextP.prefix(m + 2)) + [Double](repeating: 0, count: max(0, m + 2 - nextP.count)))
            r.append(Array(nextR.prefix(m + 2)) + [Double](repeating: 0, count: max(0, m + 2 - nextR.count)))
        }
        func padded(_ c: [Double], _ length: Int) -> [Double] { c + [Double](repeating: 0, count: max(0, length - c.count)) }
        pHat = padded(p[n], n + 1)
        rHat = padded(r[n], n + 1)
        pDot = padded(p[max(n - 1, 0)], max(n, 1))
        rDot = padded(r[max(n - 1, 0)], max(n, 1))
    }

    func evaluate(count: Int, degree: Int, rootQi: Double, rootQj: UnsafePointer<Double>, sigma: UnsafePointer<Double>,
                  sigmaHat: UnsafeMutablePointer<Double>, sigmaDot: UnsafeMutablePointer<Double>) {
        ntkb_arccos_dual(count, degree, pHat, rHat, pDot, rDot, rootQi, rootQj, sigma, sigmaHat, sigmaDot)
    }
}

extension Activation {
    /// How the kernel maps of this activation are computed by default (Docs/activations.md).
    public var dualMethod: String {
        switch DualActivation(self, quadrature: .trapezoid).form {
        case .identity, .erf, .gelu, .trigonometric, .exponential, .gaussian: return "closed form"
        case .abReLU, .angular: return "closed form, det"
        case .arcCosine: return "arc-cosine"
        case .polynomialSeries: return "exact Hermite"
        case .hermiteSeries: return kinks.isEmpty ? "Hermite series" : "Hermite + quadrature"
        case .quadrature: return "quadrature"
        case .userSupplied: return "user-supplied"
        }
    }
}
