import RealModule

/// An elementwise nonlinearity φ of the network (theory.md §1). This type is the one home of
/// each activation: its formula φ, φ′, φ″ (here), its name and parameters
/// (`ActivationCatalogue.swift`), and how its kernel maps are computed (`dualForm`,
/// `DualActivation.swift`). The finite networks (FiniteWidth), the infinite-width recursion and
/// the CLI all read it from here. Docs/activations.md lists the catalogue.
public enum Activation: Sendable, Equatable {
    case identity
    /// ReLU = ABReLU(0, 1).
    case relu
    /// Leaky ReLU = ABReLU(α, 1).
    case leakyReLU(slope: Double)
    /// ABReLU(a, b) = a·min(x, 0) + b·max(x, 0).
    case abReLU(negativeSlope: Double, positiveSlope: Double)
    case erf
    /// GELU φ(x) = x·Φ(x), Φ the standard normal distribution function.
    case gelu
    case tanh
    /// softplus φ(x) = log(1 + eˣ).
    case softplus
    case sin
    /// The logistic sigmoid 1/(1 + e^{−x}).
    case sigmoid
    /// SiLU (swish) x·sigmoid(x).
    case silu
    /// ELU: x for x > 0, α·(eˣ − 1) otherwise.
    case elu(alpha: Double)
    /// SELU = λ·ELU_α with λ = `Activation.seluScale`, α = `Activation.seluAlpha`.
    case selu
    case cos
    /// e^{−x²}.
    case gaussian
    case exp
    /// |x| = ABReLU(−1, 1).
    case abs
    /// sign x (0 at 0); φ′ = 0 almost everywhere.
    case sign
    /// xⁿ, n ≥ 0.
    case monomial(degree: Int)
    /// max(0, x)ⁿ, n ≥ 0 (n = 0: the step 1{x > 0}); its NNGP map is the arc-cosine kernel of degree n.
    case rectifiedMonomial(degree: Int)
    /// The normalized probabilists' Hermite polynomial He_n(x)/√n!.
    case hermite(degree: Int)
    /// Σ_k c_k x^k with c = `coefficients` (lowest degree first, at least one).
    case polynomial(coefficients: [Double])
    /// Any φ with its derivatives; its kernel maps are computed by quadrature unless it supplies them.
    case custom(CustomActivation)

    /// SELU's λ and α (Klambauer et al. 2017).
    public static let seluScale = 1.0507009873554804934193349852946
    public static let seluAlpha = 1.6732632423543772848170429916717

    /// The slopes (a, b) when φ is ABReLU(a, b) (ReLU, leaky ReLU, ABReLU, abs,
    /// rectified-monomial:1), else nil.
    public var abReLUSlopes: (negative: Double, positive: Double)? {
        switch self {
        case .relu, .rectifiedMonomial(degree: 1): return (0, 1)
        case let .leakyReLU(slope): return (slope, 1)
        case let .abReLU(a, b): return (a, b)
        case .abs: return (-1, 1)
        default: return nil
        }
    }

    /// True for positively homogeneous φ (φ(cx) = cφ(x) for c > 0): ABReLU family and identity.
    public var isPositivelyHomogeneous: Bool { abReLUSlopes != nil || self == .identity || self == .monomial(degree: 1) }

    /// True when φ″ = 0 almost everywhere (Hessian-vector products then skip the curvature term).
    public var isPiecewiseLinear: Bool {
        switch self {
        case .sign, .rectifiedMonomial(degree: 0), .monomial(degree: 0): return true
        case let .hermite(n): return n <= 1
        case let .polynomial(c): return c.count <= 2
        default: return isPositivelyHomogeneous
        }
    }

    /// φ(x).
    public func value(_ x: Double) -> Double {
        if let (a, b) = abReLUSlopes { return x > 0 ? b * x : a * x }
        switch self {
        case .identity: return x
        case .erf: return Double.erf(x)
        case .gelu: return x * standardNormalCDF(x)
        case .tanh: return Double.tanh(x)
        case .softplus: return Swift.max(x, 0) + Double.log(onePlus: Double.exp(-Swift.abs(x)))
        case .sin: return Double.sin(x)
        case .sigmoid: return logistic(x)
        case .silu: return x * logistic(x)
        case let .elu(alpha): return x > 0 ? x : alpha * Double.expMinusOne(x)
        case .selu: return Self.seluScale * (x > 0 ? x : Self.seluAlpha * Double.expMinusOne(x))
        case .cos: return Double.cos(x)
        case .gaussian: return Double.exp(-x * x)
        case .exp: return Double.exp(x)
        case .sign: return x > 0 ? 1 : (x < 0 ? -1 : 0)
        case let .monomial(n): return power(x, n)
        case let .rectifiedMonomial(n): return x > 0 ? power(x, n) : 0
        case let .hermite(n): return normalizedHermite(n, x)
        case let .polynomial(c): return polynomialDerivative(c, order: 0, at: x)
        case let .custom(f): return f.function(x)
        case .relu, .leakyReLU, .abReLU, .abs: fatalError("unreachable")
        }
    }

    /// φ′(x). For the ABReLU family φ′(0) is taken as the negative slope; sign and the step have
    /// φ′ = 0 (their kernels' Σ̇ is zero).
    public func derivative(_ x: Double) -> Double {
        if let (a, b) = abReLUSlopes { return x > 0 ? b : a }
        switch self {
        case .identity: return 1
        case .erf: return 2 / Double.pi.squareRoot() * Double.exp(-x * x)
        case .gelu: return standardNormalCDF(x) + x * standardNormalDensity(x)
        case .tanh:
            let t = Double.tanh(x)
            return 1 - t * t
        case .softplus: return logistic(x)
        case .sin: return Double.cos(x)
        case .sigmoid:
            let s = logistic(x)
            return s * (1 - s)
        case .silu:
            let s = logistic(x)
            return s * (1 + x * (1 - s))
        case let .elu(alpha): return x > 0 ? 1 : alpha * Double.exp(x)
        case .selu: return Self.seluScale * (x > 0 ? 1 : Self.seluAlpha * Double.exp(x))
        case .cos: return -Double.sin(x)
        case .gaussian: return -2 * x * Double.exp(-x * x)
        case .exp: return Double.exp(x)
        case .sign: return 0
        case let .monomial(n): return n == 0 ? 0 : Double(n) * power(x, n - 1)
        case let .rectifiedMonomial(n): return n == 0 || x <= 0 ? 0 : Double(n) * power(x, n - 1)
        case let .hermite(n): return n == 0 ? 0 : Double(n).squareRoot() * normalizedHermite(n - 1, x)
        case let .polynomial(c): return polynomialDerivative(c, order: 1, at: x)
        case let .custom(f): return f.derivative(x)
        case .relu, .leakyReLU, .abReLU, .abs: fatalError("unreachable")
        }
    }

    /// φ″(x) (zero almost everywhere for the piecewise-linear activations), for Hessian-vector
    /// products.
    public func secondDerivative(_ x: Double) -> Double {
        if abReLUSlopes != nil { return 0 }
        switch self {
        case .identity, .sign: return 0
        case .erf: return -4 * x / Double.pi.squareRoot() * Double.exp(-x * x)
        case .gelu: return standardNormalDensity(x) * (2 - x * x)
        case .tanh:
            let t = Double.tanh(x)
            return -2 * t * (1 - t * t)
        case .softplus:
            let s = logistic(x)
            return s * (1 - s)
        case .sin: return -Double.sin(x)
        case .sigmoid:
            let s = logistic(x)
            return s * (1 - s) * (1 - 2 * s)
        case .silu:
            let s = logistic(x)
            return s * (1 - s) * (2 + x * (1 - 2 * s))
        case let .elu(alpha): return x > 0 ? 0 : alpha * Double.exp(x)
        case .selu: return x > 0 ? 0 : Self.seluScale * Self.seluAlpha * Double.exp(x)
        case .cos: return -Double.cos(x)
        case .gaussian: return (4 * x * x - 2) * Double.exp(-x * x)
        case .exp: return Double.exp(x)
        case let .monomial(n): return n < 2 ? 0 : Double(n * (n - 1)) * power(x, n - 2)
        case let .rectifiedMonomial(n): return n < 2 || x <= 0 ? 0 : Double(n * (n - 1)) * power(x, n - 2)
        case let .hermite(n): return n < 2 ? 0 : (Double(n) * Double(n - 1)).squareRoot() * normalizedHermite(n - 2, x)
        case let .polynomial(c): return polynomialDerivative(c, order: 2, at: x)
        case let .custom(f): return f.secondDerivative(x)
        case .relu, .leakyReLU, .abReLU, .abs: fatalError("unreachable")
        }
    }

    /// How φ continues into the complex plane: it sets the step of the trapezoid quadrature.
    public var analyticity: Analyticity {
        switch self {
        case .tanh: return .strip(halfWidth: Double.pi / 2)   // poles at ±iπ/2
        case .softplus, .sigmoid, .silu: return .strip(halfWidth: Double.pi)   // singularities at ±iπ
        case .erf, .gaussian: return .entire(gaussianGrowth: 1)   // |erf(x + iy)| ~ e^{y²}
        case .gelu: return .entire(gaussianGrowth: 0.5)       // |Φ(x + iy)| ~ e^{y²/2}
        case .sin, .cos, .exp: return .entire(gaussianGrowth: 0.1)   // e^{|y|}: below any Gaussian
        case .identity, .monomial, .hermite, .polynomial: return .entire(gaussianGrowth: 0)
        // Piecewise analytic: each piece entire, the quadrature splits at `kinks`.
        case .relu, .leakyReLU, .abReLU, .abs, .sign, .rectifiedMonomial, .elu, .selu:
            return .entire(gaussianGrowth: 0.1)
        case let .custom(f): return f.analyticity
        }
    }

    /// The points where φ (or a derivative) is not analytic: quadrature splits its integrals there.
    public var kinks: [Double] {
        switch self {
        case .relu, .leakyReLU, .abReLU, .abs, .sign, .rectifiedMonomial, .elu, .selu: return [0]
        case let .custom(f): return f.kinks
        default: return []
        }
    }
}

/// How an activation continues off the real axis, which decides how fast the trapezoid rule
/// converges on its Gaussian expectations.
public enum Analyticity: Sendable, Equatable {
    /// Entire, with |φ(x + iy)| growing at most like e^{γ·y²}.
    case entire(gaussianGrowth: Double)
    /// Analytic in the strip |Im z| < halfWidth (a pole or branch point on its edge).
    case strip(halfWidth: Double)
    /// Not known: the quadrature uses its conservative step.
    case unknown
}

/// A user-supplied activation: φ, φ′, φ″ and, if known, how φ continues into the complex plane
/// (`.unknown` makes the quadrature use its finest step), the points where it is not analytic,
/// and optionally its own kernel maps.
public struct CustomActivation: Sendable, Equatable {
    /// A user-supplied pair map (q₁, q₂, Σ) ↦ (E[φ(u)φ(v)], E[φ′(u)φ′(v)]) for
    /// (u, v) ~ N(0, [[q₁, Σ], [Σ, q₂]]).
    public typealias DualMap = @Sendable (_ q1: Double, _ q2: Double, _ sigma: Double) -> (hat: Double, dot: Double)

    public let name: String
    public let function: @Sendable (Double) -> Double
    public let derivative: @Sendable (Double) -> Double
    public let secondDerivative: @Sendable (Double) -> Double
    public let analyticity: Analyticity
    public let kinks: [Double]
    public let dualMap: DualMap?

    public init(name: String, function: @escaping @Sendable (Double) -> Double,
                derivative: @escaping @Sendable (Double) -> Double,
                secondDerivative: @escaping @Sendable (Double) -> Double = { _ in .nan },
                analyticity: Analyticity = .unknown, kinks: [Double] = [], dualMap: DualMap? = nil) {
        self.name = name
        self.function = function
        self.derivative = derivative
        self.secondDerivative = secondDerivative
        self.analyticity = analyticity
        self.kinks = kinks
        self.dualMap = dualMap
    }

    /// Custom activations are identified by name.
    public static func == (lhs: CustomActivation, rhs: CustomActivation) -> Bool { lhs.name == rhs.name }
}

/// Φ(x) = ½·erfc(−x/√2).
@inline(__always) func standardNormalCDF(_ x: Double) -> Double { 0.5 * Double.erfc(-x * 0.707_106_781_186_547_524_4) }

/// ϕ(x) = e^{−x²/2}/√(2π).
@inline(__always) func standardNormalDensity(_ x: Double) -> Double { Double.exp(-0.5 * x * x) * 0.398_942_280_401_432_677_9 }

/// 1/(1 + e^{−x}), without overflow.
@inline(__always) func logistic(_ x: Double) -> Double {
    x >= 0 ? 1 / (1 + Double.exp(-x)) : Double.exp(x) / (1 + Double.exp(x))
}

/// xⁿ for n ≥ 0 by repeated squaring (exact for small n, 0⁰ = 1).
func power(_ x: Double, _ n: Int) -> Double {
    var result = 1.0, base = x, e = n
    while e > 0 {
        if e & 1 == 1 { result *= base }
        base *= base
        e >>= 1
    }
    return result
}

/// The `order`-th derivative (0, 1 or 2) of Σ_k c_k x^k at x, by Horner's rule.
func polynomialDerivative(_ c: [Double], order: Int, at x: Double) -> Double {
    var result = 0.0
    for k in stride(from: c.count - 1, through: order, by: -1) {
        let factor = order == 0 ? 1 : (order == 1 ? Double(k) : Double(k * (k - 1)))
        result = result * x + factor * c[k]
    }
    return result
}

/// h_n(x) = He_n(x)/√n! by the stable recurrence h_{k+1} = (x·h_k − √k·h_{k−1})/√(k+1).
func normalizedHermite(_ n: Int, _ x: Double) -> Double {
    var previous = 0.0, current = 1.0
    if n == 0 { return 1 }
    for k in 0..<n {
        let next = (x * current - Double(k).squareRoot() * previous) / Double(k + 1).squareRoot()
        previous = current
        current = next
    }
    return current
}
