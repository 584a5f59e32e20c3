import Foundation

/// A tidy CSV table: comment lines starting with `# ` (the provenance), a header row, then one
/// row per observation. Numbers are written in shortest round-trip form; an undefined value is
/// an empty cell.
public struct CSVTable: Sendable, Equatable {
    public var comments: [String]
    public let columns: [String]
    public private(set) var rows: [[String]]

    public init(columns: [String], comments: [String] = [], rows: [[String]] = []) {
        self.columns = columns
        self.comments = comments
        self.rows = []
        for row in rows { append(row) }
    }

    public mutating func append(_ row: [String]) {
        precondition(row.count == columns.count, "a row of \(row.count) cells in a table of \(columns.count) columns")
        rows.append(row)
    }

    public var text: String {
        var text = comments.map { "# \($0)\n" }.joined()
        text += columns.joined(separator: ",") + "\n"
        for row in rows { text += row.joined(separator: ",") + "\n" }
        return text
    }

    /// Writes the table atomically (temporary file, then rename).
    public func write(to path: String) throws {
        try AtomicOutput.write(Data(text.utf8), to: path)
    }

    /// Reads a table written by `write(to:)`. Rows with the wrong number of cells (a line cut
    /// off by an interruption) are dropped.
    public static func read(_ path: String) throws -> CSVTable {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw OutputError.cannotWrite(path: path, reason: "cannot read it back: \((error as NSError).localizedDescription)")
        }
        var comments: [String] = [], header: [String]?, rows: [[String]] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# ") { comments.append(String(line.dropFirst(2))); continue }
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if header == nil { header = cells } else if cells.count == header!.count { rows.append(cells) }
        }
        return CSVTable(columns: header ?? [], comments: comments, rows: rows)
    }

    /// The cells of `column` in every row.
    public func values(of column: String) -> [String] {
        guard let index = columns.firstIndex(of: column) else { return [] }
        return rows.map { $0[index] }
    }
}

/// A number for a CSV cell: shortest round-trip form; `inf` or `-inf` for an infinity (a
/// singular matrix's condition number); empty for nil or NaN (undefined).
public func csvCell(_ value: Double?) -> String {
    guard let value, !value.isNaN else { return "" }
    return value.isInfinite ? (value > 0 ? "inf" : "-inf") : value.description
}

/// The provenance comments of every table the toolkit writes.
public enum Provenance {
    /// `ntkbridge <version>`, the command line, the seeds, and a canonical description of the
    /// configuration that a resumed run must match.
    public static func comments(commandLine: [String], seeds: String, configuration: String) -> [String] {
        ["ntkbridge \(ToolkitVersion.current)",
         "command: " + commandLine.map(shellQuoted).joined(separator: " "),
         "seeds: \(seeds)",
         "configuration: \(configuration)"]
    }

    private static func shellQuoted(_ word: String) -> String {
        let safe = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }
        return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
