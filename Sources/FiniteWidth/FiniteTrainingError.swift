import LinearAlgebra
import FewShot
import InfiniteWidth

/// A training setting that a finite network cannot run, worded with the hyperparameter to fix.
public enum FiniteTrainingError: HyperparameterError, Equatable {
    /// The inner loop or the test-time adaptation is not τ gradient-descent steps: a finite
    /// network adapts by discrete steps (theory.md §7).
    /// `loop` is "inner loop" or "test-time adaptation".
    case nonDiscreteSolver(loop: String, solver: InnerSolver)
    /// The outer schedule is not S gradient-descent steps.
    case nonDiscreteTraining(TrainingTime)
    /// A rate or a number of steps that gradient descent cannot run (negative or not finite).
    case invalidSchedule(parameter: Hyperparameter, message: String)
    /// `--diag-reg` adds r·mean(diag)·I to the kernel predictor's matrix; no finite training
    /// does that.
    case diagonalRegularization(Double)
    /// ρ outside [0, 1]: heads drawn as √ρ·c + √(1−ρ)·e_i need 0 ≤ ρ ≤ 1.
    case headCorrelationOutOfRange(Double)
    /// Predictions were asked of a task set without test tasks.
    case noTestTasks
    /// Plain regression was given inputs and labels that do not fit together.
    case regressionShape(message: String)
    /// The linearized outer dynamics have an eigenvalue with a non-positive real part, so no
    /// positive outer rate keeps gradient descent from diverging (FOMAML's non-symmetric Φ^FO).
    case noStableOuterRate(method: String, realPart: Double, imaginaryPart: Double, spectralRadius: Double)

    public func description(naming name: (Hyperparameter) -> String) -> String {
        switch self {
        case let .nonDiscreteSolver(loop, solver):
            return "\(name(.innerSolver)): a finite network's \(loop) runs gradient-descent steps, so the solver must be "
                + "discrete (gradient descent with \(name(.innerRate)) and \(name(.innerSteps))), got \(solver)"
        case let .nonDiscreteTraining(training):
            return "a finite network is trained by S full-batch gradient-descent steps: give \(name(.outerRate)) and "
                + "\(name(.outerSteps)) (got \(training))"
        case let .invalidSchedule(parameter, message):
            return "\(name(parameter)) \(message)"
        case let .diagonalRegularization(r):
            return "\(name(.diagonalRegularization)) \(r) regularizes the kernel predictor only; finite training has no counterpart, "
                + "so it must be 0"
        case let .headCorrelationOutOfRange(rho):
            return "\(name(.headCorrelation)) must lie in [0, 1] for a finite network (heads are drawn as "
                + "√ρ·c + √(1−ρ)·e_i), got \(rho)"
        case .noTestTasks:
            return "the task set has no test tasks: predictions need at least one"
        case let .regressionShape(message):
            return message
        case let .noStableOuterRate(method, a, b, radius):
            return "\(method)'s linearized outer step has the eigenvalue \(a) \(b < 0 ? "−" : "+") \(abs(b))i (spectral radius "
                + "\(radius)) at initialisation, with non-positive real part: no "
                + "\(name(.outerRate)) is stable there, so a fraction of a stable rate cannot be chosen; give \(name(.outerRate))"
        }
    }
}
