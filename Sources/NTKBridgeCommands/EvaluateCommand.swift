import ArgumentParser
import FewShot
import Foundation
import LinearAlgebra
import Paradigms
import Reports

/// `ntkbridge evaluate`: classification accuracy and MSE of a prediction CSV on a task file's
/// labelled test tasks.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Accuracy and MSE of predictions on the labelled test tasks of a task file.",
        discussion: """
            Per test task: accuracy (the argmax of each prediction row against that of its one-hot query \
            label; the first index wins a tie) and MSE (the mean of (f − y)² over points and outputs). Prints the \
            means over tasks with 95% confidence half-widths 1.96·s/√M (s the sample standard deviation); \
            --out writes a CSV with header task,accuracy,mse.
            """)

    @Option(help: ArgumentHelp("The task file whose test tasks were predicted.", valueName: "T.json"))
    var tasks: String

    @Option(help: ArgumentHelp("The predictions CSV (task,point,y0,…) of predict, finite or baseline.", valueName: "P.csv"))
    var predictions: String

    @Option(help: ArgumentHelp("A CSV of the per-task scores to write.", valueName: "E.csv"))
    var out: String?

    func run() throws {
        let taskSet = try TaskSet(taskFile: tasks)
        let predicted = try PredictionFile.read(predictions)
        let scores: ClassificationScores
        do {
            scores = try ClassificationScores(tasks: taskSet, predictions: predicted)
        } catch {
            throw CommandFailure("--predictions \(predictions) does not fit --tasks \(tasks): \(error)")
        }
        if let out {
            var table = CSVTable(columns: ["task", "accuracy", "mse"])
            for t in scores.accuracy.indices {
                table.append(["\(t)", csvCell(scores.accuracy[t]), csvCell(scores.meanSquaredError[t])])
            }
            try table.write(to: out)
        }
        print("tasks \(scores.accuracy.count)")
        for (name, values) in [("accuracy", scores.accuracy), ("mse", scores.meanSquaredError)] {
            let statistics = SampleStatistics(values)
            print("\(name) \(statistics.mean) ± \(Self.halfWidth95(statistics)) (95% CI)")
        }
    }

    /// 1.96·s/√M with s the sample standard deviation (divisor M − 1), the usual few-shot
    /// convention: s/√M = σ/√(M − 1) with σ the population one; zero for a single task.
    static func halfWidth95(_ statistics: SampleStatistics) -> Double {
        statistics.count > 1 ? 1.96 * statistics.standardDeviation / Double(statistics.count - 1).squareRoot() : 0
    }
}
