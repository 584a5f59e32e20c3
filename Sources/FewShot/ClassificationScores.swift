import LinearAlgebra

/// Scores of predictions on classification test tasks with one-hot query labels.
///
/// For test task t with n query points and k outputs: accuracy_t = (1/n)·#{i : argmax_j f_ij =
/// argmax_j y_ij} (the first index wins a tie) and mse_t = (1/(n·k))·Σ_ij (f_ij − y_ij)², the
/// mean over every entry.
public struct ClassificationScores: Sendable, Equatable {
    public let accuracy: [Double]
    public let meanSquaredError: [Double]

    /// Scores `predictions[t]` against the query labels of `tasks.test[t]`.
    public init(tasks: TaskSet, predictions: [Matrix]) throws(TaskSetError) {
        guard !tasks.test.isEmpty else { throw TaskSetError(path: "test", message: "holds no tasks to score") }
        guard predictions.count == tasks.test.count else {
            throw TaskSetError(path: "test", message: "has \(tasks.test.count) tasks, but there are predictions for \(predictions.count)")
        }
        var accuracy: [Double] = [], errors: [Double] = []
        for (t, (task, f)) in zip(tasks.test, predictions).enumerated() {
            guard let y = task.queryLabels else {
                throw TaskSetError(path: "test[\(t)].query", message: "has no labels 'y' to score against")
            }
            guard f.rows == y.rows, f.columns == y.columns else {
                throw TaskSetError(path: "test[\(t)].query.y", message: "is \(y.rows)×\(y.columns), but its predictions are \(f.rows)×\(f.columns)")
            }
            var correct = 0, squares = 0.0
            for i in 0..<y.rows {
                let fi = f.row(i), yi = y.row(i)
                if Self.argmax(fi) == Self.argmax(yi) { correct += 1 }
                for j in 0..<y.columns { squares += (fi[j] - yi[j]) * (fi[j] - yi[j]) }
            }
            accuracy.append(Double(correct) / Double(y.rows))
            errors.append(squares / Double(y.rows * y.columns))
        }
        self.accuracy = accuracy
        meanSquaredError = errors
    }

    /// The first index of the largest entry.
    public static func argmax(_ values: [Double]) -> Int {
        var best = 0
        for (i, v) in values.enumerated() where v > values[best] { best = i }
        return best
    }
}
