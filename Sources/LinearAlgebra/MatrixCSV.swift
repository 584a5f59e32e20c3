import Foundation

/// A problem with a numeric input file, located precisely enough to fix it.
///
/// (Reading a numeric CSV into a `Matrix` lives beside the type because two modules need it:
/// the CLI for kernel inputs and `FewShot` for labelled data sets, and `FewShot` sits below
/// `Reports`.)
public enum InputFileError: Error, CustomStringConvertible, Equatable {
    case unreadable(file: String, reason: String)
    case noData(file: String)
    case raggedRow(file: String, line: Int, expected: Int, found: Int)
    case notANumber(file: String, line: Int, column: Int, text: String)
    case nonFinite(file: String, line: Int, column: Int, text: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): cannot be read: \(reason)"
        case let .noData(file):
            return "\(file): holds no data rows (blank lines and lines starting with # are skipped)"
        case let .raggedRow(file, line, expected, found):
            return "\(file):\(line): has \(found) values, but earlier rows have \(expected)"
        case let .notANumber(file, line, column, text):
            return "\(file):\(line): column \(column): '\(text)' is not a number"
        case let .nonFinite(file, line, column, text):
            return "\(file):\(line): column \(column): '\(text)' is not finite (NaN and infinities are refused)"
        }
    }
}

/// Reads a whole text file, refusing with `InputFileError.unreadable` naming it.
public func readTextFile(_ path: String) throws -> String {
    do {
        return try String(contentsOfFile: path, encoding: .utf8)
    } catch {
        throw InputFileError.unreadable(file: path, reason: (error as NSError).localizedDescription)
    }
}

extension Matrix {
    /// Reads a comma-separated numeric file: one row per line, no header; blank lines and lines
    /// starting with `#` are skipped; spaces around values are ignored. Every row must have the
    /// same number of finite values.
    public init(csvFile path: String) throws {
        try self.init(csvText: readTextFile(path), source: path)
    }

    /// Parses CSV text as in `init(csvFile:)`; `source` names it in errors.
    public init(csvText text: String, source: String) throws {
        var elements: [Double] = []
        var width: Int?
        var rowCount = 0
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            if let width, cells.count != width {
                throw InputFileError.raggedRow(file: source, line: lineNumber, expected: width, found: cells.count)
            }
            width = cells.count
            for (column, cell) in cells.enumerated() {
                let trimmed = cell.trimmingCharacters(in: .whitespaces)
                guard let value = Double(trimmed) else {
                    throw InputFileError.notANumber(file: source, line: lineNumber, column: column + 1, text: trimmed)
                }
                guard value.isFinite else {
                    throw InputFileError.nonFinite(file: source, line: lineNumber, column: column + 1, text: trimmed)
                }
                elements.append(value)
            }
            rowCount += 1
        }
        guard let width, rowCount > 0 else { throw InputFileError.noData(file: source) }
        self.init(rows: rowCount, columns: width, elements: elements)
    }
}
