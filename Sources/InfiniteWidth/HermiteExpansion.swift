import CNumerics
import LinearAlgebra
import RealModule

/// The Hermite coefficients of every point of one layer, the prepared per-point state of the
/// series form of `DualActivation`. With h_k = He_k/√k! (orthonormal under N(0, 1)),
///
///     a_k(q) = E[φ(√q·z)·h_k(z)],   b_k(q) = E[φ′(√q·z)·h_k(z)],
///     E[φ(u)φ(v)] = Σ_k a_k(q_i)·a_k(q_j)·ρ^k,   E[φ′(u)φ′(v)] = Σ_k b_k(q_i)·b_k(q_j)·ρ^k
///
/// (Mehler's formula), ρ = Σ/√(q_i·q_j). Coefficients are stored degree-major, `hat[k·count + p]`
/// for point p, so that a run of columns reads contiguous memory for each k.
///
/// Truncation. With the tail energies T_p(K) = Σ_{k>K} a_k(q_p)² (and the same for b), Cauchy–
/// Schwarz bounds the error of stopping after degree K by |ρ|^{K+1}·√(T_i(K)·T_j(K)). T_p(K) is
/// the sum of the computed coefficients above K plus the residual E[φ(√q z)²] − Σ_{k≤degree} a_k²
/// (beyond the last computed degree; below `residualFloor`·E it is round-off and taken as 0, so
/// the bound certifies ~1e-13 of √(E_i·E_j) at worst, and the measured errors are ~1e-15). `reach[K]` is the largest |ρ| for which
/// |ρ|^{K+1}·max_p T_p(K)/E_p ≤ `tolerance` for every point of the layer (1 when the series is
/// converged at K for any ρ): a pair truncated after the smallest K with reach[K] ≥ |ρ| is
/// within `tolerance`·√(E_i·E_j) of the exact map. Pairs beyond reach[degree] go to quadrature.
struct HermiteCoefficients: Sendable {
    let count: Int
    let degree: Int
    let hat: HermiteTable
    let dot: HermiteTable
    let reach: [Double]

    init(count: Int, degree: Int, hat: [Double], dot: [Double], reach: [Double]) {
        self.count = count
        self.degree = degree
        self.hat = HermiteTable(hat, count: count, degree: degree)
        self.dot = HermiteTable(dot, count: count, degree: degree)
        self.reach = reach
    }

    /// The smallest truncation degree that reaches `correlation`, or nil if none does.
    func truncation(for correlation: Double) -> Int? { reach.firstIndex { $0 >= correlation } }
}

/// The coefficients of one map (φ or φ′) of every point, degree-major, keeping only the degrees
/// k = first + step·t: an odd φ (tanh) has a_k = 0 for even k, an even one for odd k, which
/// halves the work and the memory each pair reads.
struct HermiteTable: Sendable {
    let first: Int
    let step: Int
    /// rows[t·count + p] = a_{first + step·t}(q_p).
    let rows: [Double]

    /// Rows of exactly zero (polynomials) or below 1e-17 of every point's largest coefficient
    /// (quadrature round-off of a zero) count as zero.
    init(_ full: [Double], count n: Int, degree: Int) {
        var scale = [Double](repeating: 0, count: n)
        for k in 0...degree { for p in 0..<n { scale[p] = max(scale[p], Swift.abs(full[k * n + p])) } }
        func vanishes(parity: Int) -> Bool {
            stride(from: parity, through: degree, by: 2).allSatisfy { k in
                (0..<n).allSatisfy { Swift.abs(full[k * n + $0]) <= 1e-17 * scale[$0] }
            }
        }
        if degree >= 1 && vanishes(parity: 0) {
            (first, step) = (1, 2)
        } else if degree >= 1 && vanishes(parity: 1) {
            (first, step) = (0, 2)
        } else {
            (first, step) = (0, 1)
        }
        if step == 1 {
            rows = full
        } else {
            rows = stride(from: first, through: degree, by: 2).flatMap { k in full[(k * n)..<((k + 1) * n)] }
        }
    }

    /// a_k(q_p) (zero for a degree not kept).
    func coefficient(degree k: Int, point p: Int, count n: Int) -> Double {
        guard k >= first, (k - first) % step == 0 else { return 0 }
        return rows[(k - first) / step * n + p]
    }

    /// The number of kept degrees up to `degree`.
    func terms(upTo degree: Int) -> Int { degree < first ? 0 : (degree - first) / step + 1 }
}

/// Builds `HermiteCoefficients`: numerically (trapezoid or split Gauss–Legendre rule) for the
/// smooth activations without a closed form, exactly for the polynomial family.
enum HermiteExpansion {
    /// The truncation target, relative to √(E_i·E_j).
    static let tolerance = 1e-15
    /// Residual energies E − Σ_{k≤degree} a_k² below this fraction of E are taken as round-off
    /// (measured: ~5e-15 for tanh once its coefficients have decayed to round-off).
    static let residualFloor = 1e-13
    /// The largest degree computed per point.
    static let degreeLimit = 512

    /// Coefficients, with the exact diagonal maps E[φ(u)²], E[φ′(u)²] from the same rule, for
    /// every variance in `q` (a smooth activation, possibly with a kink at 0).
    static func numeric(_ activation: Activation, variances q: [Double]) -> (HermiteCoefficients, hat: [Double], dot: [Double]) {
        let n = q.count
        let largest = q.max() ?? 0
        var degree = self.degree(for: activation, largestVariance: largest)
        let rule = coefficientRule(activation, largestVariance: largest, degree: degreeLimit)
        let m = rule.nodes.count
        // Φ[node][point] = φ(√q z), Φ′ likewise; energies from the same rule.
        var values = Matrix(rows: m, columns: n), slopes = Matrix(rows: m, columns: n)
        var energy = [Double](repeating: 0, count: n), slopeEnergy = [Double](repeating: 0, count: n)
        values.withUnsafeMutableBufferPointer { v in
            slopes.withUnsafeMutableBufferPointer { s in
                let vp = SharedPointer(v.baseAddress!), sp = SharedPointer(s.baseAddress!)
                energy.withUnsafeMutableBufferPointer { e in
                    slopeEnergy.withUnsafeMutableBufferPointer { d in
                        let ep = SharedPointer(e.baseAddress!), dp = SharedPointer(d.baseAddress!)
                        ParallelLoop.forEachChunk(count: n) { points in
                            for p in points {
                                let c = q[p].squareRoot()
                                var e = 0.0, d = 0.0
                                for k in 0..<m {
                                    let x = c * rule.nodes[k]
                                    let f = activation.value(x), g = activation.derivative(x)
                                    vp.base[k * n + p] = f
                                    sp.base[k * n + p] = g
                                    e += rule.weights[k] * f * f
                                    d += rule.weights[k] * g * g
                                }
                                ep.base[p] = e
                                dp.base[p] = d
                            }
                        }
                    }
                }
            }
        }
        // Double the degree until the series converges for every ρ (or the limit is reached).
        while true {
            let projection = hermiteProjection(rule, degree: degree)
            let a = Matrix.product(projection, values), b = Matrix.product(projection, slopes)
            let reach = self.reach(a.elements, b.elements, count: n, degree: degree, energy: energy, slopeEnergy: slopeEnergy)
            if reach[degree] >= 1 || degree >= degreeLimit || !activation.kinks.isEmpty {
                return (HermiteCoefficients(count: n, degree: degree, hat: a.elements, dot: b.elements, reach: reach),
                        energy, slopeEnergy)
            }
            degree = min(degreeLimit, 2 * degree)
        }
    }


    /// The degree to compute: Hermite coefficients of a function analytic in |Im z| < y decay
    /// like e^{−y√(2k)}; y√(2K) ≥ 21 puts a_K² below 1e-18. A kink makes the decay algebraic:
    /// 256 coefficients, the rest of the reach left to quadrature.
    static func degree(for activation: Activation, largestVariance q: Double) -> Int {
        guard activation.kinks.isEmpty else { return 256 }
        let c = max(q, 1e-300).squareRoot()
        let y: Double
        switch activation.analyticity {
        case let .strip(tau): y = tau / c
        case let .entire(growth): y = 3 / (1 + 4 * growth * q).squareRoot()
        case .unknown: y = 0.1
        }
        let k = Int((21 / y) * (21 / y) / 2)
        return min(degreeLimit, max(24, k))
    }

    /// Nodes and weights (the N(0, 1) density folded in) that integrate φ(√q z)·h_k(z) for
    /// k ≤ degree to ~1e-17: the trapezoid rule on [−14, 14] (beyond it |h_k|·e^{−z²/2} ≤ e^{−z²/4}
    /// < e^{−49}) with a step below the analyticity strip's limit 2πy/(45 + y²/2 + √K·y); or,
    /// with a kink at 0, Gauss–Legendre on [−14, 0] and [0, 14].
    static func coefficientRule(_ activation: Activation, largestVariance q: Double, degree: Int) -> StandardNormalRule {
        let half = 14.0
        if !activation.kinks.isEmpty {
            return .piecewiseLegendre(breaks: [0], points: degree / 2 + 100, halfWidth: half)
        }
        let c = max(q, 1e-300).squareRoot()
        var y = 6.0
        if case let .strip(tau) = activation.analyticity { y = min(y, tau / c) }
        let h = min(0.1, 2 * Double.pi * y / (45 + y * y / 2 + Double(degree).squareRoot() * y))
        return .trapezoid(step: h, halfWidth: half)
    }

    /// P[k][m] = w_m·h_k(z_m), k = 0…degree: a_k = (P·Φ)[k].
    static func hermiteProjection(_ rule: StandardNormalRule, degree: Int) -> Matrix {
        let m = rule.nodes.count
        var p = Matrix(rows: degree + 1, columns: m)
        p.withUnsafeMutableBufferPointer { buffer in
            let out = buffer.baseAddress!
            for (index, z) in rule.nodes.enumerated() {
                var previous = 0.0, current = 1.0
                for k in 0...degree {
                    out[k * m + index] = rule.weights[index] * current
                    let next = (z * current - Double(k).squareRoot() * previous) / Double(k + 1).squareRoot()
                    previous = current
                    current = next
                }
            }
        }
        return p
    }

    /// reach[K] (see `HermiteCoefficients`) from the coefficients and the exact energies.
    static func reach(_ a: [Double], _ b: [Double], count n: Int, degree: Int, energy: [Double], slopeEnergy: [Double]) -> [Double] {
        var worst = [Double](repeating: 0, count: degree + 1)   // max_p T_p(K)/E_p
        for (c, e) in [(a, energy), (b, slopeEnergy)] {
            // Degree-major loops (contiguous in p): the partial sums, then the tails from the top.
            var tail = [Double](repeating: 0, count: n)
            for k in 0...degree { for p in 0..<n { tail[p] += c[k * n + p] * c[k * n + p] } }
            for p in 0..<n {
                // The residual beyond the computed degree. E and Σa_k² are each sums of hundreds of
                // rounded terms: a residual below `residualFloor`·E is their round-off, not a tail.
                let residual = e[p] - tail[p]
                tail[p] = residual > residualFloor * e[p] ? residual : 0
            }
            for k in stride(from: degree, through: 0, by: -1) {
                var largest = worst[k]
                for p in 0..<n where e[p] > 0 {
                    largest = max(largest, tail[p] / e[p])
                    tail[p] += c[k * n + p] * c[k * n + p]
                }
                worst[k] = largest
            }
        }
        return worst.enumerated().map { k, t in
            t <= tolerance ? 1 : Double.pow(tolerance / t, 1 / Double(k + 1))
        }
    }

    /// Exact coefficients of the polynomial activations (monomial, hermite, polynomial): φ(√q z)
    /// is a polynomial of degree n in z, so its expansion stops at h_n and the diagonal maps are
    /// Σ_k a_k².
    static func polynomial(_ activation: Activation, variances q: [Double]) -> (HermiteCoefficients, hat: [Double], dot: [Double]) {
        let (valueCoefficients, slopeCoefficients) = polynomialForms(activation)
        let degree = max(valueCoefficients(1).count, slopeCoefficients(1).count) - 1
        let n = q.count
        var a = [Double](repeating: 0, count: (degree + 1) * n), b = a
        var energy = [Double](repeating: 0, count: n), slopeEnergy = energy
        for p in 0..<n {
            for (k, value) in valueCoefficients(q[p]).enumerated() {
                a[k * n + p] = value
                energy[p] += value * value
            }
            for (k, value) in slopeCoefficients(q[p]).enumerated() {
                b[k * n + p] = value
                slopeEnergy[p] += value * value
            }
        }
        let reach = (0...degree).map { $0 == degree ? 1.0 : 0.0 }
        return (HermiteCoefficients(count: n, degree: degree, hat: a, dot: b, reach: reach), energy, slopeEnergy)
    }

    /// q ↦ (a_k(q)) and q ↦ (b_k(q)) for the polynomial activations.
    static func polynomialForms(_ activation: Activation)
        -> (@Sendable (Double) -> [Double], @Sendable (Double) -> [Double]) {
        switch activation {
        case let .hermite(n):
            return ({ scaledHermite(n, variance: $0) },
                    { q in n == 0 ? [0] : scaledHermite(n - 1, variance: q).map { Double(n).squareRoot() * $0 } })
        case let .monomial(n):
            var c = [Double](repeating: 0, count: n + 1)
            c[n] = 1
            let power = c
            return ({ powerSeriesInHermite(power, variance: $0) },
                    { powerSeriesInHermite(derivative(of: power), variance: $0) })
        case let .polynomial(c):
            return ({ powerSeriesInHermite(c, variance: $0) }, { powerSeriesInHermite(derivative(of: c), variance: $0) })
        default:
            preconditionFailure("\(activation) is not a polynomial")
        }
    }

    /// Coefficients of Σ_k c_k x^k's derivative.
    static func derivative(of c: [Double]) -> [Double] {
        c.count <= 1 ? [0] : (1..<c.count).map { Double($0) * c[$0] }
    }

    /// a_k(q) for p(x) = Σ_m c_m x^m: p(√q z) = Σ_m c_m q^{m/2} z^m with z^m = Σ_k t_m[k]·h_k(z),
    /// t_{m+1}[k] = √k·t_m[k−1] + √(k+1)·t_m[k+1] (from z·h_k = √(k+1)·h_{k+1} + √k·h_{k−1}).
    static func powerSeriesInHermite(_ c: [Double], variance q: Double) -> [Double] {
        let degree = c.count - 1
        var t = [Double](repeating: 0, count: degree + 2)
        t[0] = 1
        var result = [Double](repeating: 0, count: degree + 1)
        var scale = 1.0, root = q.squareRoot()
        if q == 0 { root = 0 }
        for m in 0...degree {
            for k in 0...m { result[k] += c[m] * scale * t[k] }
            var next = [Double](repeating: 0, count: degree + 2)
            for k in 0...min(m + 1, degree + 1) {
                let up = k > 0 ? Double(k).squareRoot() * t[k - 1] : 0
                let down = k + 1 <= degree ? Double(k + 1).squareRoot() * t[k + 1] : 0
                next[k] = up + down
            }
            t = next
            scale *= root
        }
        return result
    }

    /// a_k(q) for φ = h_n: the multiplication theorem He_n(γz) = Σ_j n!/(j!(n−2j)!)·γ^{n−2j}·
    /// ((γ²−1)/2)^j·He_{n−2j}(z) gives a_{n−2j}(q) = √(n!/(n−2j)!)·q^{(n−2j)/2}·((q−1)/2)^j/j!.
    static func scaledHermite(_ n: Int, variance q: Double) -> [Double] {
        var result = [Double](repeating: 0, count: n + 1)
        let root = q.squareRoot(), half = (q - 1) / 2
        for j in 0...(n / 2) {
            let k = n - 2 * j
            var ratio = 1.0   // n!/(n−2j)!
            for m in stride(from: n, to: k, by: -1) { ratio *= Double(m) }
            var factorial = 1.0
            for m in stride(from: 1, through: j, by: 1) { factorial *= Double(m) }
            result[k] = ratio.squareRoot() * power(root, k) * power(half, j) / factorial
        }
        return result
    }
}

/// Evaluates the truncated Hermite series for a row point and a run of column points: one
/// vectorized pass (`ntkb_hermite_series`) at the smallest degree that reaches every pair with
/// |ρ| ≤ reach[`runDegreeLimit`], then the pairs beyond it one by one, each at its own degree, or
/// by quadrature (`fallback`) when even the last computed degree does not reach its |ρ| (kinked
/// activations near ρ = ±1). The diagonal is never evaluated here (it is exact from `prepare`).
struct HermiteSeriesEvaluation {
    let rows: PreparedVariances
    let columns: PreparedVariances
    let fallback: QuadratureDualMaps?

    /// The largest degree the vectorized pass over a whole run uses.
    static let runDegreeLimit = 64

    func run(row i: Int, start: Int, count: Int, sigma: UnsafePointer<Double>,
             sigmaHat: UnsafeMutablePointer<Double>, sigmaDot: UnsafeMutablePointer<Double>) {
        guard count > 0 else { return }
        let ci = rows.coefficients!, cj = columns.coefficients!
        let degree = min(ci.degree, cj.degree)
        func reach(_ k: Int) -> Double { min(ci.reach[k], cj.reach[k]) }
        let vectorDegree = min(degree, Self.runDegreeLimit)
        let limit = reach(vectorDegree)
        let rho = UnsafeMutablePointer<Double>.allocate(capacity: count + 2 * (degree + 1))
        defer { rho.deallocate() }
        let ai = rho + count, bi = ai + degree + 1
        // The row point's coefficients, laid out as the columns' tables keep their degrees.
        for t in 0..<cj.hat.terms(upTo: degree) {
            ai[t] = ci.hat.coefficient(degree: cj.hat.first + cj.hat.step * t, point: i, count: ci.count)
        }
        for t in 0..<cj.dot.terms(upTo: degree) {
            bi[t] = ci.dot.coefficient(degree: cj.dot.first + cj.dot.step * t, point: i, count: ci.count)
        }
        let rootQi = rows.root[i]
        cj.hat.rows.withUnsafeBufferPointer { hatJ in
            cj.dot.rows.withUnsafeBufferPointer { dotJ in
                columns.root.withUnsafeBufferPointer { rootJ in
                    func series(_ n: Int, degree k: Int, offset: Int) {
                        ntkb_hermite_sum(n, cj.hat.terms(upTo: k), cj.hat.first, cj.hat.step, rho + offset, ai,
                                         hatJ.baseAddress! + start + offset, cj.count, sigmaHat + offset)
                        ntkb_hermite_sum(n, cj.dot.terms(upTo: k), cj.dot.first, cj.dot.step, rho + offset, bi,
                                         dotJ.baseAddress! + start + offset, cj.count, sigmaDot + offset)
                    }
                    let largest = ntkb_correlations(count, rootQi, rootJ.baseAddress! + start, sigma, limit, rho)
                    series(count, degree: (0...vectorDegree).first { reach($0) >= largest } ?? vectorDegree, offset: 0)
                    guard limit < 1 else { return }
                    for k in 0..<count where abs(rho[k]) > limit {
                        if let own = (vectorDegree...degree).first(where: { reach($0) >= abs(rho[k]) }) {
                            series(1, degree: own, offset: k)
                        } else if let fallback {
                            (sigmaHat[k], sigmaDot[k]) = fallback.pair(q1: rows.variance[i], q2: columns.variance[start + k],
                                                                       sigma: sigma[k])
                        }
                    }
                }
            }
        }
    }
}
