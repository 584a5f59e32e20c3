import FewShot
import LinearAlgebra

/// A finite-width network trained for real by full-batch gradient descent on a sum loss with
/// centered outputs f_θ(x) − f_θ₀(x) (theory.md §7): `FiniteMTL`, `FiniteGBML` (ANIL, MAML,
/// first-order MAML) and `FiniteRegression`. Each is built from the same settings as its
/// infinite-width predictor, refuses divergent rates before training, and is driven one outer
/// step at a time.
public protocol FiniteLearner: Sendable {
    /// The trainable parameters, flat (the layout is the learner's; `outerGradient` uses it).
    var parameters: [Double] { get }
    /// S, the outer steps of the schedule the learner was built with.
    var scheduledSteps: Int { get }
    /// The outer steps taken so far.
    var stepsTaken: Int { get }
    /// The outer loss at `parameters` (nil: the current ones), a sum ½‖·‖² over training tasks.
    func outerLoss(at parameters: [Double]?) throws -> Double
    /// The outer loss and its exact gradient at `parameters` (nil: the current ones).
    func outerGradient(at parameters: [Double]?) throws -> LossGradient
    /// One outer step θ ← θ − η·∇(outer loss). Returns the outer loss BEFORE the step (at the
    /// parameters where the gradient was taken; it comes free with the gradient).
    mutating func step() throws -> Double
    /// The test predictions, one n × k matrix per test task (after test-time adaptation),
    /// laid out like Paradigms' `predictions()`.
    func predictions() throws -> [Matrix]
    /// Σ_j ½‖F_j − Y_j‖² over the test tasks' query points after test-time adaptation; nil when
    /// there is no test task or one lacks query labels.
    func testLoss() throws -> Double?
}

extension FiniteLearner {
    /// The outer loss at the current parameters.
    public func outerLoss() throws -> Double { try outerLoss(at: nil) }

    /// Σ_j ½‖F_j − Y_j‖² for predictions F_j of tasks whose query labels are `labels[j]`.
    static func sumLoss(_ predictions: [Matrix], _ labels: [Matrix?]) -> Double? {
        guard !labels.isEmpty, labels.allSatisfy({ $0 != nil }) else { return nil }
        return zip(predictions, labels).reduce(0) { $0 + Entrywise.halfSquaredNorm($1.0 - $1.1!) }
    }
}

extension TaskSet {
    /// True when there is a test task and every one has query labels (a test loss exists).
    var hasTestLabels: Bool { !test.isEmpty && test.allSatisfy { $0.queryLabels != nil } }
}
