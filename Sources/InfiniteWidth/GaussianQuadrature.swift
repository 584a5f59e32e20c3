import CGSL
import RealModule

/// How expectations E[f(u)g(v)] over a centred bivariate normal are computed for activations
/// without a closed-form kernel (theory.md §1).
public enum QuadratureRule: Sendable, Equatable {
    /// The trapezoid rule on the Gaussian-weighted integrand in standardized coordinates, on
    /// [−10, 10], with a step chosen per direction from the activation's nearest complex
    /// singularity so that the rule's error is about e^{−40}: spectrally accurate, ~1e-15. The
    /// default.
    case trapezoid
    /// A Gauss–Hermite product rule with `points` nodes per dimension (nodes from GSL). Slow to
    /// converge for tanh (poles at ±iπ/(2√q)); offered for comparison with other codes.
    case gaussHermite(points: Int)
}

/// A one-dimensional rule for E[g(z)], z ~ N(0, 1): Σ_k weights[k]·g(nodes[k]).
struct StandardNormalRule: Sendable {
    let nodes: [Double]
    let weights: [Double]

    /// The single node z = 0: exact for a constant integrand (a degenerate direction).
    static let point = StandardNormalRule(nodes: [0], weights: [1])

    /// The trapezoid rule with step `h` on [−L, L] (L = 10 by default): weights h·ϕ(z_k).
    static func trapezoid(step h: Double, halfWidth: Double = 10) -> StandardNormalRule {
        let halfCount = Int((halfWidth / h).rounded(.down))
        let nodes = (-halfCount...halfCount).map { Double($0) * h }
        let normalization = h / (2 * Double.pi).squareRoot()
        return StandardNormalRule(nodes: nodes, weights: nodes.map { normalization * Double.exp(-0.5 * $0 * $0) })
    }

    /// Gauss–Legendre with `points` nodes on each piece of [−L, L] cut at `breaks` (those
    /// inside), weights times ϕ(z): spectrally accurate for integrands analytic on each piece,
    /// such as an activation with kinks at the breaks.
    /// `pointsOnPiece(a, b)`, when given, chooses the number of nodes of each piece [a, b]
    /// (`points` or `QuadratureDualMaps.gradedPiecePoints`).
    static func piecewiseLegendre(breaks: [Double], points: Int, halfWidth: Double = 10,
                                  pointsOnPiece: ((Double, Double) -> Int)? = nil) -> StandardNormalRule {
        let cuts = [-halfWidth] + breaks.filter { abs($0) < halfWidth }.sorted() + [halfWidth]
        var nodes: [Double] = [], weights: [Double] = []
        nodes.reserveCapacity(points * (cuts.count - 1))
        weights.reserveCapacity(points * (cuts.count - 1))
        for (a, b) in zip(cuts, cuts.dropFirst()) where b > a {
            let n = pointsOnPiece?(a, b) ?? points
            let reference = n == QuadratureDualMaps.piecePoints ? GaussLegendre.pieceRule
                : n == QuadratureDualMaps.gradedPiecePoints ? GaussLegendre.gradedPieceRule : GaussLegendre.rule(points: n)
            let middle = (a + b) / 2, radius = (b - a) / 2
            for (x, w) in zip(reference.nodes, reference.weights) {
                let z = middle + radius * x
                nodes.append(z)
                weights.append(radius * w * standardNormalDensity(z))
            }
        }
        return StandardNormalRule(nodes: nodes, weights: weights)
    }

    /// The n-point Gauss–Hermite rule from GSL, mapped from the weight e^{−x²} to N(0, 1):
    /// z = √2·x, w = w̃/√π.
    static func gaussHermite(points n: Int) -> StandardNormalRule {
        guard let workspace = gsl_integration_fixed_alloc(ntkbridge_gsl_hermite_rule(), n, 0, 1, 0, 0) else {
            fatalError("GSL could not build a \(n)-point Gauss–Hermite rule")
        }
        defer { gsl_integration_fixed_free(workspace) }
        let count = Int(gsl_integration_fixed_n(workspace))
        let x = gsl_integration_fixed_nodes(workspace)!, w = gsl_integration_fixed_weights(workspace)!
        return StandardNormalRule(nodes: (0..<count).map { 2.0.squareRoot() * x[$0] },
                                  weights: (0..<count).map { w[$0] / Double.pi.squareRoot() })
    }

    /// The trapezoid step for integrands of the form φ(c·z)·ψ(c·z')·ϕ(z) in a direction where
    /// the arguments vary with scale c. The trapezoid rule's error is bounded by
    /// M(y)·e^{−2πy/h} for any strip |Im z| < y in which the integrand is analytic, with M(y)
    /// its size on the strip's edge. Requiring an error of about e^{−40}:
    /// - entire φ growing like e^{γ·y²}: M(y) ~ e^{(1/2 + 2γc²)·y²}, so h ≤ 0.70/√(1 + 4γc²);
    /// - a singularity at distance τ: y = 0.8τ/c, M ~ e^{y²/2}, so h ≤ 2πy/(40 + y²/2) while
    ///   y < 9 (beyond that the Gaussian factor alone limits h, to 0.7);
    /// - unknown: theory.md's rule, 0.05, shrinking like 1/c beyond c = 5.
    static func trapezoidStep(scale c: Double, analyticity: Analyticity) -> Double {
        var h = 0.5
        switch analyticity {
        case let .entire(growth):
            h = min(h, 0.7 / (1 + 4 * growth * c * c).squareRoot())
        case let .strip(tau):
            h = min(h, 0.7)
            let y = c > 0 ? 0.8 * tau / c : .infinity   // 0.8: off the singularity, where M(y) blows up
            if y < 9 { h = min(h, 2 * Double.pi * y / (40 + 0.5 * y * y)) }
        case .unknown:
            h = min(h, 0.05 * min(1, 5 / max(c, 1e-300)))
        }
        return h
    }
}

/// Gauss–Legendre nodes and weights on [−1, 1], by Newton's method on P_n from the
/// asymptotic first guesses cos(π(i − 1/4)/(n + 1/2)) (converged to round-off).
enum GaussLegendre {
    /// The rule of the pair quadrature's pieces, built once (the inner rule moves with z₁).
    static let pieceRule = rule(points: QuadratureDualMaps.piecePoints)
    /// The rule of the graded pieces around a nearly parallel pair's smoothed kink.
    static let gradedPieceRule = rule(points: QuadratureDualMaps.gradedPiecePoints)

    static func rule(points n: Int) -> (nodes: [Double], weights: [Double]) {
        var nodes = [Double](repeating: 0, count: n), weights = nodes
        for i in 0..<(n + 1) / 2 {
            var x = Double.cos(Double.pi * (Double(i) + 0.75) / (Double(n) + 0.5))
            var derivative = 0.0
            for _ in 0..<100 {
                var p0 = 1.0, p1 = x
                if n == 1 { p0 = 1; p1 = x }
                for k in stride(from: 2, through: n, by: 1) {
                    let p2 = ((2 * Double(k) - 1) * x * p1 - (Double(k) - 1) * p0) / Double(k)
                    p0 = p1
                    p1 = p2
                }
                let pn = n == 0 ? 1 : p1, pPrevious = n == 1 ? 1 : p0
                derivative = Double(n) * (x * pn - pPrevious) / (x * x - 1)
                let step = pn / derivative
                x -= step
                if abs(step) < 1e-16 { break }
            }
            nodes[i] = -x
            nodes[n - 1 - i] = x
            let w = 2 / ((1 - x * x) * derivative * derivative)
            weights[i] = w
            weights[n - 1 - i] = w
        }
        return (nodes, weights)
    }
}

/// E[φ(u)φ(v)] and E[φ'(u)φ'(v)] by quadrature, for (u, v) ~ N(0, [[q1, Σ], [Σ, q2]]).
struct QuadratureDualMaps: Sendable {
    let activation: Activation
    let rule: QuadratureRule
    /// Built once for a Gauss–Hermite rule; the trapezoid rules depend on the pair's scales.
    private let fixedRule: StandardNormalRule?

    init(activation: Activation, rule: QuadratureRule) {
        self.activation = activation
        self.rule = rule
        if case let .gaussHermite(points) = rule {
            fixedRule = StandardNormalRule.gaussHermite(points: points)
        } else {
            fixedRule = nil
        }
    }

    /// Nodes per piece of the split rule used for activations with kinks.
    static let piecePoints = 96

    /// The rule for z in φ(offset + scale·z): split at the kinks when φ has any.
    private func rule(scale: Double, offset: Double = 0) -> StandardNormalRule {
        if let fixedRule { return fixedRule }
        if scale == 0 { return .point }
        if !activation.kinks.isEmpty {
            return .piecewiseLegendre(breaks: activation.kinks.map { ($0 - offset) / scale }, points: Self.piecePoints)
        }
        return .trapezoid(step: StandardNormalRule.trapezoidStep(scale: scale, analyticity: activation.analyticity))
    }

    /// Nodes per piece of the graded pieces of `splitOuterRule`.
    static let gradedPiecePoints = 20

    /// The outer rule (over z₁) of a pair with kinks. The inner integral
    /// F(z₁) = E_{z₂}[g(along·z₁ + across·z₂)] of a φ with a kink (or, for φ′, a jump) at κ is a
    /// smoothed kink at z* = κ/along of width ε = across/|along| ~ √(1 − ρ²): for nearly parallel
    /// pairs far narrower than the spacing of a fixed rule (1 − ρ = 1e-9 cost ELU's Σ̇ 1.6e-6
    /// relative, found against Neural Tangents' Elementwise layer with an exact conditional
    /// expectation). So besides the kinks of u = √q₁·z₁, the rule is cut at z* ± ε·4^k,
    /// k = 0, 1, … (graded pieces [a, 4a] around z*: 20 Gauss–Legendre nodes reach ~1e-19 on
    /// them, since F is analytic at distance ≳ a from each piece).
    private func splitOuterRule(c1: Double, along: Double, across: Double) -> StandardNormalRule {
        if c1 == 0 { return .point }
        var breaks = activation.kinks.map { $0 / c1 }
        var smoothed: [(center: Double, width: Double)] = []
        if along != 0 && across < abs(along) {
            for kink in activation.kinks where abs(kink / along) < 30 {   // else far outside [−10, 10]
                let center = kink / along, width = across / abs(along)
                breaks.append(center)
                var offset = width
                while offset > 0 && offset < 20 {
                    breaks += [center - offset, center + offset]
                    offset *= 4
                }
                smoothed.append((center, width))
            }
        }
        return .piecewiseLegendre(breaks: breaks, points: Self.piecePoints) { a, b in
            // Graded: no longer than 3× its distance from a smoothed kink (so F is analytic
            // well beyond it), or the innermost piece [z*, z* ± ε]; and at most 1 long, so that
            // the Gaussian weight is resolved too. Other pieces get the full rule.
            let length = b - a
            let graded = length <= 1 && smoothed.contains { kink in
                let distance = a >= kink.center ? a - kink.center : b <= kink.center ? kink.center - b : 0
                return length <= 3.01 * distance || (distance == 0 && length <= 1.01 * kink.width)
            }
            return graded ? Self.gradedPiecePoints : Self.piecePoints
        }
    }

    /// (E[φ(u)²], E[φ'(u)²]) for u ~ N(0, q): the exact diagonal maps.
    func diagonal(_ q: Double) -> (hat: Double, dot: Double) {
        let c = q.squareRoot()
        let r = rule(scale: c)
        var hat = 0.0, dot = 0.0
        for (z, w) in zip(r.nodes, r.weights) {
            let f = activation.value(c * z), d = activation.derivative(c * z)
            hat += w * f * f
            dot += w * d * d
        }
        return (hat, dot)
    }

    /// (E[φ(u)φ(v)], E[φ'(u)φ'(v)]) with u = √q1·z1, v = √q2·(ρ·z1 + √(1 − ρ²)·z2).
    func pair(q1: Double, q2: Double, sigma: Double) -> (hat: Double, dot: Double) {
        let r = (q1 * q2).squareRoot()
        let rho = r > 0 ? min(1, max(-1, sigma / r)) : 0
        let c1 = q1.squareRoot(), c2 = q2.squareRoot()
        let along = c2 * rho, across = c2 * ((1 - rho) * (1 + rho)).squareRoot()
        let split = !activation.kinks.isEmpty && fixedRule == nil
        let outer = split ? splitOuterRule(c1: c1, along: along, across: across) : rule(scale: max(c1, abs(along)))
        var inner = rule(scale: across)
        var hat = 0.0, dot = 0.0
        for (z1, w1) in zip(outer.nodes, outer.weights) {
            let center = along * z1
            if split { inner = rule(scale: across, offset: center) }
            var innerHat = 0.0, innerDot = 0.0
            for (z2, w2) in zip(inner.nodes, inner.weights) {
                let v = center + across * z2
                innerHat += w2 * activation.value(v)
                innerDot += w2 * activation.derivative(v)
            }
            hat += w1 * activation.value(c1 * z1) * innerHat
            dot += w1 * activation.derivative(c1 * z1) * innerDot
        }
        return (hat, dot)
    }
}
