import Foundation
import LinearAlgebra
import Paradigms

/// Two prediction files of the same task file compared task by task (theory.md §6): the
/// relative Frobenius distance ‖A − B‖_F/‖B‖_F (B is the reference; undefined where B = 0) and
/// the RMS distance ‖A − B‖_F/√(n·k), with their mean, population standard deviation and median
/// over tasks — the summary `closeness` reports.
public struct PredictionComparison: Sendable {
    public let closeness: Closeness
    /// The number of query points of each task.
    public let points: [Int]

    /// Compares `predictions` (read from `file`) with `reference` (read from `referenceFile`);
    /// the files name the inputs in errors.
    public init(_ predictions: [Matrix], file: String, reference: [Matrix], referenceFile: String) throws {
        guard predictions.count == reference.count else {
            throw PredictionComparisonError.taskCount(file: file, tasks: predictions.count,
                                                      referenceFile: referenceFile, referenceTasks: reference.count)
        }
        for (task, (a, b)) in zip(predictions, reference).enumerated() where a.rows != b.rows || a.columns != b.columns {
            throw PredictionComparisonError.taskShape(task: task, file: file, rows: a.rows, columns: a.columns,
                                                      referenceFile: referenceFile, referenceRows: b.rows,
                                                      referenceColumns: b.columns)
        }
        closeness = Closeness(predictions, from: reference)
        points = reference.map(\.rows)
    }

    /// One row per task: `task,points,relative,rms` (an undefined relative distance is empty).
    public func table(comments: [String]) -> CSVTable {
        var table = CSVTable(columns: ["task", "points", "relative", "rms"], comments: comments)
        for (task, distance) in closeness.perTask.enumerated() {
            table.append(["\(task)", "\(points[task])", csvCell(distance.relative), csvCell(distance.rms)])
        }
        return table
    }

    /// The per-task distances and their summaries, for the terminal.
    public func text(title: String) -> String {
        func number(_ value: Double?) -> String { value.map { String(format: "%.6g", $0) } ?? "undefined" }
        var text = "\(title)\n  task  points  relative     rms\n"
        for (task, distance) in closeness.perTask.enumerated() {
            text += String(format: "  %4d  %6d  ", task, points[task])
                + number(distance.relative).padding(toLength: 11, withPad: " ", startingAt: 0) + "  " + number(distance.rms) + "\n"
        }
        for (name, s) in [("relative", closeness.relative), ("rms", closeness.rms)] {
            text += "  \(name): mean \(number(s.mean)), std \(number(s.standardDeviation)), median \(number(s.median))"
                + " over \(s.count) task(s)" + (s.undefinedCount > 0 ? ", \(s.undefinedCount) undefined (reference zero)" : "") + "\n"
        }
        return text
    }
}

/// Two prediction files that do not describe the same test tasks.
public enum PredictionComparisonError: Error, CustomStringConvertible, Equatable {
    case taskCount(file: String, tasks: Int, referenceFile: String, referenceTasks: Int)
    case taskShape(task: Int, file: String, rows: Int, columns: Int, referenceFile: String, referenceRows: Int, referenceColumns: Int)

    public var description: String {
        switch self {
        case let .taskCount(file, tasks, referenceFile, referenceTasks):
            return "\(file) has \(tasks) test task(s) but \(referenceFile) has \(referenceTasks): "
                + "compare predictions of the same task file"
        case let .taskShape(task, file, rows, columns, referenceFile, referenceRows, referenceColumns):
            return "task \(task): \(file) has \(rows) point(s) × \(columns) output(s) but \(referenceFile) has "
                + "\(referenceRows) × \(referenceColumns): compare predictions of the same task file"
        }
    }
}
