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

    /// Reads a prediction CSV back into one matrix per task. Blank lines and lines starting with
    /// `#` are skipped. The rows must number the tasks 0, 1, … and each task's points 0, 1, … in
    /// order, as `write` does; anything else is refused with the file and line.
    public static func read(_ path: String) throws -> [Matrix] {
        var header: [String]?
        var tasks: [[[Double]]] = []
        var lineNumber = 0
        for rawLine in try readTextFile(path).split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard let columns = header else {
                let expected = ["task", "point"] + (0..<max(cells.count - 2, 1)).map { "y\($0)" }
                guard cells == expected else {
                    throw PredictionFileError.badHeader(file: path, line: lineNumber, found: line)
                }
                header = cells
                continue
            }
            guard cells.count == columns.count else {
                throw InputFileError.raggedRow(file: path, line: lineNumber, expected: columns.count, found: cells.count)
            }
            let task = tasks.count - 1, point = tasks.last?.count ?? 0
            switch (Int(cells[0]), Int(cells[1])) {
            case (task, point): break
            case (task + 1, 0): tasks.append([]); break
            default:
                let expected = task < 0 ? "task 0, point 0" : "task \(task), point \(point) or task \(task + 1), point 0"
                throw PredictionFileError.outOfOrder(file: path, line: lineNumber, found: "task \(cells[0]), point \(cells[1])",
                                                     expected: expected)
            }
            var values: [Double] = []
            for (column, cell) in cells.enumerated().dropFirst(2) {
                guard let value = Double(cell) else {
                    throw InputFileError.notANumber(file: path, line: lineNumber, column: column + 1, text: cell)
                }
                guard value.isFinite else {
                    throw InputFileError.nonFinite(file: path, line: lineNumber, column: column + 1, text: cell)
                }
                values.append(value)
            }
            tasks[tasks.count - 1].append(values)
        }
        guard header != nil, !tasks.isEmpty else { throw InputFileError.noData(file: path) }
        return tasks.map(Matrix.init(rowArrays:))
    }
}

/// A prediction CSV that does not have the layout `PredictionFile` writes.
public enum PredictionFileError: Error, CustomStringConvertible, Equatable {
    case badHeader(file: String, line: Int, found: String)
    case outOfOrder(file: String, line: Int, found: String, expected: String)

    public var description: String {
        switch self {
        case let .badHeader(file, line, found):
            return "\(file):\(line): expected the header task,point,y0,y1,… of a prediction file, found '\(found)'"
        case let .outOfOrder(file, line, found, expected):
            return "\(file):\(line): found \(found), expected \(expected) (tasks and points are numbered from 0, in order)"
        }
    }
}
