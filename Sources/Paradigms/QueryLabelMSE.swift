import FewShot
import LinearAlgebra

/// The mean squared error of test-task predictions against the query labels a task file holds
/// (theory.md §7): Σ_j ‖F_j − Y_j‖_F² / Σ_j n_j·k over the test tasks j that have query labels.
/// Tasks without labels are left out; with none, there is no MSE.
public struct QueryLabelMSE: Sendable, Equatable {
    public let meanSquaredError: Double
    /// How many test tasks, query points and outputs per point it averages over.
    public let tasks: Int
    public let points: Int
    public let outputs: Int

    /// nil when no test task has query labels.
    public init?(_ predictions: [Matrix], tasks testTasks: [FewShotTask]) {
        precondition(predictions.count == testTasks.count, "one prediction per test task")
        var sum = 0.0, points = 0, tasks = 0
        for (prediction, task) in zip(predictions, testTasks) {
            guard let labels = task.queryLabels else { continue }
            precondition(prediction.rows == labels.rows && prediction.columns == labels.columns,
                         "predictions and labels of different shapes")
            let norm = (prediction - labels).frobeniusNorm
            sum += norm * norm
            points += labels.rows
            tasks += 1
        }
        guard tasks > 0, let outputs = predictions.first?.columns, outputs > 0 else { return nil }
        meanSquaredError = sum / Double(points * outputs)
        self.tasks = tasks
        self.points = points
        self.outputs = outputs
    }

    /// `test_mse: <value> (…)`, the line `predict` and `finite` print on stdout.
    public var line: String {
        "test_mse: \(meanSquaredError) (query labels of \(tasks) test task(s), \(points) point(s), \(outputs) output(s) each)"
    }
}
