import LinearAlgebra

/// The inner-loop solver of theory.md §3: how a model linear in its adapted parameters is fitted
/// to a support set by the sum loss ½‖f(X') − Y'‖².
public enum InnerSolver: Sendable, Equatable, CustomStringConvertible {
    /// Gradient flow with rate λ for time τ ("continuous"): t(s) = (1 − e^{−λτs})/s.
    case gradientFlow(rate: Double, time: Double)
    /// τ steps of gradient descent with rate λ ("discrete"): t(s) = (1 − (1 − λs)^τ)/s.
    case gradientDescent(rate: Double, steps: Int)
    /// The closed form with penalty μ ("ridge", MetaOptNet and R2D2 heads): t(s) = 1/(s + μ).
    case ridge(penalty: Double)
    /// Exact interpolation, τ → ∞ ("exact"): t(s) = 1/s for s > 1e-12·s_max, else 0.
    case exact

    /// t(s), the solver's factor on an eigenvalue s of the support kernel S whose largest
    /// eigenvalue is `largestEigenvalue`.
    public func spectralFactor(_ s: Double, largestEigenvalue: Double) -> Double {
        switch self {
        case let .gradientFlow(rate, time): return SpectralFactor.gradientFlow(s, rate: rate, time: time)
        case let .gradientDescent(rate, steps): return SpectralFactor.gradientDescent(s, rate: rate, steps: steps)
        case let .ridge(penalty): return 1 / (s + penalty)
        case .exact: return s > 1e-12 * largestEigenvalue ? 1 / s : 0
        }
    }

    /// λτ, the inner loop's length (the small parameter of theory.md §6), where it has one.
    public var rateTimesTime: Double? {
        switch self {
        case let .gradientFlow(rate, time): return rate * time
        case let .gradientDescent(rate, steps): return rate * Double(steps)
        case .ridge, .exact: return nil
        }
    }

    public var description: String {
        switch self {
        case let .gradientFlow(rate, time): return "continuous (λ = \(rate), τ = \(time))"
        case let .gradientDescent(rate, steps): return "discrete (λ = \(rate), τ = \(steps) steps)"
        case let .ridge(penalty): return "ridge (μ = \(penalty))"
        case .exact: return "exact"
        }
    }
}

/// The eigendecomposition S = U diag(s) Uᵀ of a support kernel κ(X', X'), computed once and
/// shared by every solver applied to it (a sweep over inner times reuses it).
public struct SupportSpectrum: Sendable {
    public let eigen: SymmetricEigendecomposition
    /// What S is, for error messages ("the ANIL support kernel K(X', X') of train[3]").
    public let name: String

    public init(supportKernel: Matrix, name: String) throws {
        eigen = try SymmetricEigendecomposition(supportKernel, name: name)
        self.name = name
    }

    /// The adaptation operator T = U diag(t(s)) Uᵀ of theory.md §3, so that adapting changes
    /// outputs by −κ(x, X')·T·(f(X') − Y'). A gradient-descent rate that would diverge
    /// (λ·s_max > 2) is refused with the bound.
    public func adaptationOperator(_ solver: InnerSolver, rate parameter: Hyperparameter = .innerRate) throws -> Matrix {
        let largest = eigen.largestEigenvalue
        if case let .gradientDescent(rate, _) = solver, rate * largest > 2 {
            throw AdaptationError.divergentRate(parameter: parameter, rate: rate, matrix: name, largestEigenvalue: largest)
        }
        return eigen.spectralFunction { solver.spectralFactor($0, largestEigenvalue: largest) }
    }
}

/// A solver setting that cannot be applied.
public enum AdaptationError: HyperparameterError, Equatable {
    /// Gradient descent with rate r diverges on an eigenvalue s when r·s > 2.
    case divergentRate(parameter: Hyperparameter, rate: Double, matrix: String, largestEigenvalue: Double)

    public func description(naming name: (Hyperparameter) -> String) -> String {
        switch self {
        case let .divergentRate(parameter, rate, matrix, largest):
            return "\(name(parameter)) \(rate) makes gradient descent diverge on \(matrix): its largest eigenvalue is \(largest), "
                + "and rate·eigenvalue must not exceed 2, so the rate must be at most \(2 / largest)"
        }
    }
}
