import LinearAlgebra
import FewShot
import InfiniteWidth

/// A number of full-batch gradient-descent steps at one rate: the only inner loop (τ steps of
/// rate λ), test-time adaptation (τ̂, λ̂) or outer schedule (S, η) a finite network runs
/// (theory.md §7). Built from the infinite-width settings, so that a trainer and its kernel
/// predictor share one description of their hyperparameters.
public struct GradientDescentSchedule: Sendable, Equatable {
    public let rate: Double
    public let steps: Int

    public init(rate: Double, steps: Int, rateParameter: Hyperparameter, stepsParameter: Hyperparameter) throws {
        guard rate.isFinite, rate >= 0 else {
            throw FiniteTrainingError.invalidSchedule(parameter: rateParameter, message: "must be a finite number ≥ 0, got \(rate)")
        }
        guard steps >= 0 else {
            throw FiniteTrainingError.invalidSchedule(parameter: stepsParameter, message: "must not be negative, got \(steps)")
        }
        self.rate = rate
        self.steps = steps
    }

    /// The schedule of an inner solver, which must be `.gradientDescent`: the training inner
    /// loop (λ, τ), or the test-time adaptation (λ̂, τ̂) when `testTime`.
    public init(_ solver: InnerSolver, testTime: Bool = false) throws {
        guard case let .gradientDescent(rate, steps) = solver else {
            throw FiniteTrainingError.nonDiscreteSolver(loop: testTime ? "test-time adaptation" : "inner loop",
                                                        solver: solver)
        }
        try self.init(rate: rate, steps: steps, rateParameter: testTime ? .testInnerRate : .innerRate,
                      stepsParameter: testTime ? .testInnerSteps : .innerSteps)
    }

    /// The schedule of an outer training time, which must be `.gradientDescent`.
    public init(_ training: TrainingTime) throws {
        guard case let .gradientDescent(rate, steps) = training else {
            throw FiniteTrainingError.nonDiscreteTraining(training)
        }
        try self.init(rate: rate, steps: steps, rateParameter: .outerRate, stepsParameter: .outerSteps)
    }
}
