import RealModule

/// An elementwise nonlinearity φ of the network (theory.md §1), with its derivatives for the
/// finite-width network and the information its kernel maps need.
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
    /// Any φ with its derivatives; its kernel maps are computed by quadrature.
    case custom(CustomActivation)

    /// The slopes (a, b) when φ is ABReLU(a, b) (ReLU, leaky ReLU, ABReLU), else nil.
    public var abReLUSlopes: (negative: Double, positive: Double)? {
        switch self {
        case .relu: return (0, 1)
        case let .leakyReLU(slope): return (slope, 1)
        case let .abReLU(a, b): return (a, b)
        default: return nil
        }
    }

    /// True for positively homogeneous φ (φ(cx) = cφ(x) for c > 0): ABReLU family and identity.
    public var isPositivelyHomogeneous: Bool { abReLUSlopes != nil || self == .identity }

    /// φ(x).
    public func value(_ x: Double) -> Double {
        if let (a, b) = abReLUSlopes { return x > 0 ? b * x : a * x }
        switch self {
        case .identity: return x
        case .erf: return Double.erf(x)
        case .gelu: return x * standardNormalCDF(x)
        case .tanh: return Double.tanh(x)
        case .softplus: return max(x, 0) + Double.log(onePlus: Double.exp(-abs(x)))
        case .sin: return Double.sin(x)
        case let .custom(f): return f.function(x)
        case .relu, .leakyReLU, .abReLU: fatalError("unreachable")
        }
    }

    /// φ'(x). For the ABReLU family φ'(0) is taken as the negative slope.
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
        case let .custom(f): return f.derivative(x)
        case .relu, .leakyReLU, .abReLU: fatalError("unreachable")
        }
    }

    /// φ''(x) (zero almost everywhere for the ABReLU family), for Hessian-vector products.
    public func secondDerivative(_ x: Double) -> Double {
        if abReLUSlopes != nil { return 0 }
        switch self {
        case .identity: return 0
        case .erf: return -4 * x / Double.pi.squareRoot() * Double.exp(-x * x)
        case .gelu: return standardNormalDensity(x) * (2 - x * x)
        case .tanh:
            let t = Double.tanh(x)
            return -2 * t * (1 - t * t)
        case .softplus:
            let s = logistic(x)
            return s * (1 - s)
        case .sin: return -Double.sin(x)
        case let .custom(f): return f.secondDerivative(x)
        case .relu, .leakyReLU, .abReLU: fatalError("unreachable")
        }
    }

    /// How φ continues into the complex plane: it sets the step of the trapezoid quadrature.
    public var analyticity: Analyticity {
        switch self {
        case .tanh: return .strip(halfWidth: Double.pi / 2)   // poles at ±iπ/2
        case .softplus: return .strip(halfWidth: Double.pi)   // branch points at ±iπ
        case .erf: return .entire(gaussianGrowth: 1)          // |erf(x + iy)| ~ e^{y²}
        case .gelu: return .entire(gaussianGrowth: 0.5)       // |Φ(x + iy)| ~ e^{y²/2}
        case .sin: return .entire(gaussianGrowth: 0.1)        // e^{|y|}: below any Gaussian
        case .identity, .relu, .leakyReLU, .abReLU: return .entire(gaussianGrowth: 0)
        case let .custom(f): return f.analyticity
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

/// A user-supplied activation: φ, φ', φ'' and, if known, how φ continues into the complex plane
/// (`.unknown` makes the quadrature use its finest step).
public struct CustomActivation: Sendable, Equatable {
    public let name: String
    public let function: @Sendable (Double) -> Double
    public let derivative: @Sendable (Double) -> Double
    public let secondDerivative: @Sendable (Double) -> Double
    public let analyticity: Analyticity

    public init(name: String, function: @escaping @Sendable (Double) -> Double,
                derivative: @escaping @Sendable (Double) -> Double,
                secondDerivative: @escaping @Sendable (Double) -> Double = { _ in .nan },
                analyticity: Analyticity = .unknown) {
        self.name = name
        self.function = function
        self.derivative = derivative
        self.secondDerivative = secondDerivative
        self.analyticity = analyticity
    }

    /// Custom activations are identified by name.
    public static func == (lhs: CustomActivation, rhs: CustomActivation) -> Bool { lhs.name == rhs.name }
}

/// Φ(x) = ½·erfc(−x/√2).
func standardNormalCDF(_ x: Double) -> Double { 0.5 * Double.erfc(-x / 2.0.squareRoot()) }

/// ϕ(x) = e^{−x²/2}/√(2π).
func standardNormalDensity(_ x: Double) -> Double { Double.exp(-0.5 * x * x) / (2 * Double.pi).squareRoot() }

/// 1/(1 + e^{−x}), without overflow.
func logistic(_ x: Double) -> Double {
    x >= 0 ? 1 / (1 + Double.exp(-x)) : Double.exp(x) / (1 + Double.exp(x))
}
