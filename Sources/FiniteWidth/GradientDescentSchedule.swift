import FewShot

/// A number of full-batch gradient-descent steps at one rate: the only inner loop (τ steps of
/// rate λ), test-time adaptation (τ̂, λ̂) or outer schedule (S, η) a finite network runs
/// (theory.md §7). Built from the infinite-width settings, so that a trainer and its kernel
/// predictor share one description of their hyperparameters.
public struct GradientDescentSchedule: Sendable, Equatable {
    public let rate: Double
    public let steps: Int

    public init(rate: Double, steps: Int, rateFlag: String, stepsFlag: String) throws {
        guard rate.isFinite, rate >= 0 else {
            throw FiniteTrainingError.invalidSchedule(flag: rateFlag, message: "must be a finite number ≥ 0, got \(rate)")
        }
        guard steps >= 0 else {
            throw FiniteTrainingError.invalidSchedule(flag: stepsFlag, message: "must not be negative, got \(steps)")
        }
        self.rate = rate
        self.steps = steps
    }

    /// The schedule of an inner solver, which must be `.gradientDescent`; `role` is "" for the
    /// training inner loop and "test-" for the test-time adaptation (flags --inner-rate,
    /// --test-inner-rate, …).
    public init(_ solver: InnerSolver, role: String = "") throws {
        guard case let .gradientDescent(rate, steps) = solver else {
            throw FiniteTrainingError.nonDiscreteSolver(loop: role.isEmpty ? "inner loop" : "test-time adaptation",
                                                        solver: solver)
        }
        try self.init(rate: rate, steps: steps, rateFlag: "--\(role)inner-rate", stepsFlag: "--\(role)inner-steps")
    }

    /// The schedule of an outer training time, which must be `.gradientDescent`.
    public init(_ training: TrainingTime) throws {
        guard case let .gradientDescent(rate, steps) = training else {
            throw FiniteTrainingError.nonDiscreteTraining(training)
        }
        try self.init(rate: rate, steps: steps, rateFlag: "--meta-rate", stepsFlag: "--meta-steps")
    }
}
