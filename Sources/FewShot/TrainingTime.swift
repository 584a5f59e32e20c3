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
    /// exponential alike). t = ∞ uses a Cholesky solve and refuses a singular M̃ with a
    /// `SingularOuterSystemError` (naming the matrix, and the diagonal regularization and the
    /// training time as remedies); finite times use the eigendecomposition, so a singular M is
    /// fine. A gradient-descent rate that diverges (η·φ_max > 2) is refused with the bound.
    ///
    /// A matrix passed with `consume` (no other reference to its storage) is factored in place:
    /// no copy of M is made at r = 0.
    public func apply(to m: consuming Matrix, _ b: Matrix, matrixName: String, diagonalRegularization r: Double = 0) throws -> Matrix {
        do {
            var regularized = consume m
            regularized = regularized.addingRelativeDiagonal(r)
            return try solve(consume regularized, b, matrixName: matrixName)
        } catch let error as LinearAlgebraError {
            switch error {
            case let .notPositiveDefinite(matrix, size, pivot, _):
                throw SingularOuterSystemError(.notPositiveDefinite(matrix: matrix, size: size, pivot: pivot, remedy: nil))
            case let .numericallySingular(matrix, size, reciprocalCondition, _):
                throw SingularOuterSystemError(.numericallySingular(matrix: matrix, size: size,
                                                                    reciprocalCondition: reciprocalCondition, remedy: nil))
            default:
                throw error
            }
        }
    }

    private func solve(_ regularized: consuming Matrix, _ b: Matrix, matrixName: String) throws -> Matrix {
        if let distributed = OuterSystem.solver {
            return try distributed.apply(self, to: regularized, b, matrixName: matrixName, remedy: "")
        }
        switch self {
        case .converged:
            let size = regularized.rows
            let cholesky = try CholeskyFactorization(consume regularized, name: matrixName)
            let reciprocalCondition = cholesky.reciprocalConditionEstimate
            guard reciprocalCondition > Double(size) * Double.ulpOfOne else {
                throw LinearAlgebraError.numericallySingular(matrix: matrixName, size: size,
                                                             reciprocalCondition: reciprocalCondition, remedy: nil)
            }
            return cholesky.solve(b)
        case let .gradientDescent(rate, _):
            let eigen = try SymmetricEigendecomposition(consume regularized, name: matrixName)
            if rate * eigen.largestEigenvalue > 2 {
                throw AdaptationError.divergentRate(parameter: .outerRate, rate: rate, matrix: matrixName,
                                                    largestEigenvalue: eigen.largestEigenvalue)
            }
            return eigen.applySpectralFunction(trainingFunction, to: b)
        case .gradientFlow:
            let eigen = try SymmetricEigendecomposition(consume regularized, name: matrixName)
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

/// The outer system at t = ∞ is singular to working precision (M̃ not positive definite, or its
/// reciprocal condition below n·ε): the remedies are a diagonal regularization r or a finite
/// training time t, named as the caller names those hyperparameters.
public struct SingularOuterSystemError: HyperparameterError, Equatable {
    /// The factorization's error (without a remedy).
    public let factorization: LinearAlgebraError

    public init(_ factorization: LinearAlgebraError) { self.factorization = factorization }

    public func description(naming name: (Hyperparameter) -> String) -> String {
        "\(factorization); add \(name(.diagonalRegularization)) (adds r·mean(diag)·I; try 1e-10 and increase) or train for a "
            + "finite \(name(.outerTime))"
    }
}

/// A solver of the outer system h(M̃)·B that runs elsewhere than this process's LAPACK (the
/// ScaLAPACK solver of `ntkbridge-mpi`), with the same refusals as `TrainingTime.apply`.
public protocol OuterSystemSolver: Sendable {
    /// h(M̃)·B for the schedule `time`; `m` is already regularized. `remedy` is empty (kept for
    /// the solvers written against it): a singular system's `LinearAlgebraError` is re-thrown as a
    /// `SingularOuterSystemError`, which names the remedies.
    func apply(_ time: TrainingTime, to m: Matrix, _ b: Matrix, matrixName: String, remedy: String) throws -> Matrix
}

/// The outer-system solver in effect for the current task (nil: LAPACK in this process), set
/// with `OuterSystem.$solver.withValue(…) { … }`.
public enum OuterSystem {
    @TaskLocal public static var solver: (any OuterSystemSolver)?
}
