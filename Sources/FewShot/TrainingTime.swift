import LinearAlgebra

/// How long the outer system is trained (theory.md §4, §5): GBML's meta-training on Φ and MTL's
/// joint training on Θ_MTL both fit coefficients c = h(M)·(targets) from an output-zero start,
/// with the training function h a spectral function of M.
public enum TrainingTime: Sendable, Equatable, CustomStringConvertible {
    /// Gradient flow to convergence, t = ∞: h(φ) = 1/φ (M must be positive definite).
    case converged
    /// Gradient flow with rate η for time t: h(φ) = (1 − e^{−ηtφ})/φ, h(0) = ηt.
    case gradientFlow(rate: Double, time: Double)
    /// S full-batch gradient-descent steps with rate η: h(φ) = (1 − (1 − ηφ)^S)/φ, h(0) = ηS.
    case gradientDescent(rate: Double, steps: Int)

    /// h(φ) for the finite-time schedules.
    public func trainingFunction(_ phi: Double) -> Double {
        switch self {
        case .converged: return 1 / phi
        case let .gradientFlow(rate, time): return SpectralFactor.gradientFlow(phi, rate: rate, time: time)
        case let .gradientDescent(rate, steps): return SpectralFactor.gradientDescent(phi, rate: rate, steps: steps)
        }
    }

    /// h(M̃)·B with M̃ = M + r·mean(diag M)·I (r = `diagonalRegularization`, in the solve and the
    /// exponential alike). t = ∞ uses a Cholesky solve and refuses a singular M̃, naming it and
    /// suggesting `--diag-reg`; finite times use the eigendecomposition, so a singular M is fine.
    /// A gradient-descent rate that diverges (η·φ_max > 2) is refused with the bound.
    public func apply(to m: Matrix, _ b: Matrix, matrixName: String, diagonalRegularization r: Double = 0) throws -> Matrix {
        let regularized = m.addingRelativeDiagonal(r)
        let remedy = "add --diag-reg r (adds r·mean(diag)·I; try 1e-10 and increase) or train for a finite --meta-time"
        if let distributed = OuterSystem.solver {
            return try distributed.apply(self, to: regularized, b, matrixName: matrixName, remedy: remedy)
        }
        switch self {
        case .converged:
            let cholesky = try CholeskyFactorization(regularized, name: matrixName, remedy: remedy)
            let reciprocalCondition = cholesky.reciprocalConditionEstimate(of: regularized)
            guard reciprocalCondition > Double(m.rows) * Double.ulpOfOne else {
                throw LinearAlgebraError.numericallySingular(matrix: matrixName, size: m.rows,
                                                             reciprocalCondition: reciprocalCondition, remedy: remedy)
            }
            return cholesky.solve(b)
        case let .gradientDescent(rate, _):
            let eigen = try SymmetricEigendecomposition(regularized, name: matrixName)
            if rate * eigen.largestEigenvalue > 2 {
                throw AdaptationError.divergentRate(parameter: .outerRate, rate: rate, matrix: matrixName,
                                                    largestEigenvalue: eigen.largestEigenvalue)
            }
            return eigen.applySpectralFunction(trainingFunction, to: b)
        case .gradientFlow:
            let eigen = try SymmetricEigendecomposition(regularized, name: matrixName)
            return eigen.applySpectralFunction(trainingFunction, to: b)
        }
    }

    public var description: String {
        switch self {
        case .converged: return "t = ∞"
        case let .gradientFlow(rate, time): return "gradient flow (η = \(rate), t = \(time))"
        case let .gradientDescent(rate, steps): return "\(steps) steps of rate \(rate)"
        }
    }
}

/// A solver of the outer system h(M̃)·B that runs elsewhere than this process's LAPACK (the
/// ScaLAPACK solver of `ntkbridge-mpi`), with the same refusals as `TrainingTime.apply`.
public protocol OuterSystemSolver: Sendable {
    /// h(M̃)·B for the schedule `time`; `m` is already regularized.
    func apply(_ time: TrainingTime, to m: Matrix, _ b: Matrix, matrixName: String, remedy: String) throws -> Matrix
}

/// The outer-system solver in effect for the current task (nil: LAPACK in this process), set
/// with `OuterSystem.$solver.withValue(…) { … }`.
public enum OuterSystem {
    @TaskLocal public static var solver: (any OuterSystemSolver)?
}
