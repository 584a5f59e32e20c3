import Foundation
import LinearAlgebra

/// The prediction CSV of `ntkbridge predict` and `ntkbridge finite`: header `task,point,y0,y1,…`,
/// then one row per test-task query point, tasks and points numbered from 0, values in shortest
/// round-trip form.
public enum PredictionFile {
    public static func write(_ predictions: [Matrix], to path: String) throws {
        let width = predictions.first?.columns ?? 1
        var text = "task,point," + (0..<width).map { "y\($0)" }.joined(separator: ",") + "\n"
        for (task, prediction) in predictions.enumerated() {
            for point in 0..<prediction.rows {
                text += "\(task),\(point)," + prediction.row(point).map(\.description).joined(separator: ",") + "\n"
            }
        }
        try AtomicOutput.write(Data(text.utf8), to: path)
    }

    /// Reads a prediction CSV back into one matrix per task.
    public static func read(_ path: String) throws -> [Matrix] {
        let lines = try readTextFile(path).split(separator: "\n").map(String.init)
        guard let header = lines.first, header.hasPrefix("task,point,") else {
            throw InputFileError.unreadable(file: path, reason: "the first line is not the header task,point,y0,…")
        }
        let body = try Matrix(csvText: lines.dropFirst().joined(separator: "\n"), source: path)
        var tasks: [[[Double]]] = []
        for row in body.rowArrays {
            let task = Int(row[0])
            while tasks.count <= task { tasks.append([]) }
            tasks[task].append(Array(row.dropFirst(2)))
        }
        return tasks.map(Matrix.init(rowArrays:))
    }
}
