import Foundation
import LinearAlgebra

/// The distance between two predictors on one test task's query points (theory.md §6).
public struct PredictorDistance: Sendable, Equatable {
    /// ‖F − F_ref‖_F / ‖F_ref‖_F; nil (undefined) when F_ref = 0.
    public let relative: Double?
    /// ‖F − F_ref‖_F / √(n·k).
    public let rms: Double

    /// The distance of `prediction` from `reference` (theory.md §6 measures F_MTL against F_GBML).
    public init(_ prediction: Matrix, from reference: Matrix) {
        precondition(prediction.rows == reference.rows && prediction.columns == reference.columns,
                     "predictions of different shapes")
        let difference = (prediction - reference).frobeniusNorm
        let scale = reference.frobeniusNorm
        relative = scale > 0 ? difference / scale : nil
        rms = difference / Double(reference.rows * reference.columns).squareRoot()
    }
}

/// Mean, population standard deviation and median of a distance over test tasks; undefined
/// values are left out and counted.
public struct DistanceSummary: Sendable, Equatable {
    public let mean: Double
    public let standardDeviation: Double
    public let median: Double
    public let count: Int
    public let undefinedCount: Int

    public init(mean: Double, standardDeviation: Double, median: Double, count: Int, undefinedCount: Int) {
        self.mean = mean
        self.standardDeviation = standardDeviation
        self.median = median
        self.count = count
        self.undefinedCount = undefinedCount
    }

    public init(_ values: [Double?]) {
        let defined = SampleStatistics(values.compactMap { $0 })
        (mean, standardDeviation, median) = (defined.mean, defined.standardDeviation, defined.median)
        count = defined.count
        undefinedCount = values.count - defined.count
    }
}

/// The distances between two predictors over all test tasks, with their summaries.
public struct Closeness: Sendable {
    public let perTask: [PredictorDistance]
    public let relative: DistanceSummary
    public let rms: DistanceSummary

    /// Distances of `predictions` from `reference`, task by task.
    public init(_ predictions: [Matrix], from reference: [Matrix]) {
        precondition(predictions.count == reference.count, "different numbers of test tasks")
        perTask = zip(predictions, reference).map { PredictorDistance($0, from: $1) }
        relative = DistanceSummary(perTask.map(\.relative))
        rms = DistanceSummary(perTask.map { $0.rms })
    }
}
