import Foundation
import LinearAlgebra

/// A task file that cannot be used, located by file, line and JSON path.
public struct TaskFileError: Error, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int?
    public let path: String
    public let message: String

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return path.isEmpty ? "\(location): \(message)" : "\(location): \(path) \(message)"
    }
}

/// The task-file format (JSON):
///
///     {"train": [{"support": {"x": [[…], …], "y": [[…], …]}, "query": {"x": […], "y": […]}}, …],
///      "test":  [{"support": {"x": …, "y": …}, "query": {"x": …}}, …]}
///
/// `x` rows hold d numbers, `y` rows k numbers; a test task's `query.y` may be absent. Other keys
/// are ignored. Numbers are written in shortest round-trip form, so a file read back is bit-exact.
extension TaskSet {
    /// Reads and validates a task file: JSON, or an .npz archive (by the `.npz` extension or the
    /// zip signature; see `init(npzFile:)`).
    public init(taskFile path: String) throws(TaskFileError) {
        let file: InputFileBytes
        do {
            file = try InputFileBytes(path: path)
        } catch {
            throw TaskFileError(file: path, line: nil, path: "", message: "cannot be read: \(error)")
        }
        if path.lowercased().hasSuffix(".npz") || file.looksLikeZip {
            try self.init(npzFile: path)
            return
        }
        // Well-formed files in one pass; anything else through the general reader, which
        // locates the problem.
        let fast = file.storage.withUnsafeBufferPointer { buffer in
            var reader = TaskFileFastPath(bytes: buffer.baseAddress!, count: file.count)
            return reader.read()
        }
        if let fast, let tasks = try? TaskSet(train: fast.train, test: fast.test) {
            self = tasks
            return
        }
        let text: String
        do {
            text = try readTextFile(path)
        } catch {
            throw TaskFileError(file: path, line: nil, path: "", message: "cannot be read: \(error)")
        }
        try self.init(taskFileText: text, source: path)
    }

    /// Parses and validates task-file text; `source` names it in errors.
    public init(taskFileText text: String, source: String) throws(TaskFileError) {
        let root: JSONDocument
        do {
            root = try JSONDocument(parsing: text)
        } catch {
            throw TaskFileError(file: source, line: error.line, path: "", message: "is not valid JSON: \(error.message) (column \(error.column))")
        }
        var reader = TaskFileReader(source: source)
        let train = try reader.tasks(in: root, key: "train", requireQueryLabels: true)
        let test = try reader.tasks(in: root, key: "test", requireQueryLabels: false)
        do {
            try self.init(train: train, test: test)
        } catch {
            throw TaskFileError(file: source, line: reader.line(of: error.path), path: error.path, message: error.message)
        }
    }

    /// The task set as task-file text (numbers in shortest round-trip form, `DecimalText`).
    public func taskFileText() -> String {
        String(decoding: taskFileBytes(), as: UTF8.self)
    }

    /// The task-file text as UTF-8 bytes, formatted straight into one buffer.
    public func taskFileBytes() -> [UInt8] {
        var out: [UInt8] = []
        func append(_ text: String) { out.append(contentsOf: text.utf8) }
        func matrix(_ m: Matrix) {
            out.append(UInt8(ascii: "["))
            m.withUnsafeBufferPointer { values in
                var digits = [UInt8](repeating: 0, count: DecimalText.maximumLength)
                for i in 0..<m.rows {
                    if i > 0 { out.append(contentsOf: [UInt8(ascii: ","), 0x20]) }
                    out.append(UInt8(ascii: "["))
                    for j in 0..<m.columns {
                        if j > 0 { out.append(contentsOf: [UInt8(ascii: ","), 0x20]) }
                        let count = digits.withUnsafeMutableBufferPointer { DecimalText.write(values[i * m.columns + j], to: $0.baseAddress!) }
                        out.append(contentsOf: digits[0..<count])
                    }
                    out.append(UInt8(ascii: "]"))
                }
            }
            out.append(UInt8(ascii: "]"))
        }
        func task(_ t: FewShotTask) {
            append("    {\"support\": {\"x\": "); matrix(t.supportInputs)
            append(", \"y\": "); matrix(t.supportLabels)
            append("},\n     \"query\": {\"x\": "); matrix(t.queryInputs)
            if let y = t.queryLabels { append(", \"y\": "); matrix(y) }
            append("}}")
        }
        append("{\"train\": [\n")
        for (k, t) in train.enumerated() { if k > 0 { append(",\n") }; task(t) }
        append("\n],\n \"test\": [\n")
        for (k, t) in test.enumerated() { if k > 0 { append(",\n") }; task(t) }
        append("\n]}\n")
        return out
    }
}

/// Walks a parsed task file, recording the line of every path it visits for later errors.
private struct TaskFileReader {
    let source: String
    private var lines: [String: Int] = [:]

    init(source: String) { self.source = source }

    func error(_ document: JSONDocument, _ path: String, _ message: String) -> TaskFileError {
        TaskFileError(file: source, line: document.line, path: path, message: message)
    }

    /// The line of `path` or of its nearest recorded ancestor.
    func line(of path: String) -> Int? {
        var candidate = path
        while !candidate.isEmpty {
            if let line = lines[candidate] { return line }
            guard let cut = candidate.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            candidate = String(candidate[..<cut])
        }
        return nil
    }

    mutating func tasks(in root: JSONDocument, key: String, requireQueryLabels: Bool) throws(TaskFileError) -> [FewShotTask] {
        guard case .object = root.value else {
            throw error(root, "", "must be a JSON object with the keys \"train\" and \"test\", not \(root.value.kindDescription)")
        }
        guard let list = root[key] else { throw error(root, "", "is missing the key \"\(key)\"") }
        guard case let .array(items) = list.value else {
            throw error(list, key, "must be an array of tasks, not \(list.value.kindDescription)")
        }
        lines[key] = list.line
        var result: [FewShotTask] = []
        for (i, item) in items.enumerated() {
            result.append(try task(item, path: "\(key)[\(i)]", requireQueryLabels: requireQueryLabels))
        }
        return result
    }

    private mutating func task(_ document: JSONDocument, path: String, requireQueryLabels: Bool) throws(TaskFileError) -> FewShotTask {
        lines[path] = document.line
        guard case .object = document.value else {
            throw error(document, path, "must be an object with \"support\" and \"query\", not \(document.value.kindDescription)")
        }
        let support = try member(document, "support", path: path)
        let query = try member(document, "query", path: path)
        let supportInputs = try matrix(try member(support, "x", path: "\(path).support"), path: "\(path).support.x")
        let supportLabels = try matrix(try member(support, "y", path: "\(path).support"), path: "\(path).support.y")
        let queryInputs = try matrix(try member(query, "x", path: "\(path).query"), path: "\(path).query.x")
        var queryLabels: Matrix?
        if let y = query["y"] {
            queryLabels = try matrix(y, path: "\(path).query.y")
        } else if requireQueryLabels {
            throw error(query, "\(path).query", "is missing the key \"y\" (a training task needs query labels)")
        }
        return FewShotTask(supportInputs: supportInputs, supportLabels: supportLabels,
                           queryInputs: queryInputs, queryLabels: queryLabels)
    }

    private mutating func member(_ document: JSONDocument, _ key: String, path: String) throws(TaskFileError) -> JSONDocument {
        guard case .object = document.value else {
            throw error(document, path, "must be an object, not \(document.value.kindDescription)")
        }
        guard let value = document[key] else { throw error(document, path, "is missing the key \"\(key)\"") }
        lines["\(path).\(key)"] = value.line
        return value
    }

    /// An array of equally long arrays of finite numbers.
    private mutating func matrix(_ document: JSONDocument, path: String) throws(TaskFileError) -> Matrix {
        guard case let .array(rows) = document.value else {
            throw error(document, path, "must be an array of rows, not \(document.value.kindDescription)")
        }
        guard !rows.isEmpty else { throw error(document, path, "has no points") }
        var elements: [Double] = []
        var width: Int?
        for (r, row) in rows.enumerated() {
            lines["\(path)[\(r)]"] = row.line
            guard case let .array(cells) = row.value else {
                throw error(row, "\(path)[\(r)]", "must be an array of numbers, not \(row.value.kindDescription)")
            }
            if let width, cells.count != width {
                throw error(row, "\(path)[\(r)]", "has \(cells.count) numbers, but earlier rows have \(width)")
            }
            guard !cells.isEmpty else { throw error(row, "\(path)[\(r)]", "is empty") }
            width = cells.count
            for (c, cell) in cells.enumerated() {
                guard case let .number(value) = cell.value else {
                    throw error(cell, "\(path)[\(r)][\(c)]", "must be a number, not \(cell.value.kindDescription)")
                }
                guard value.isFinite else { throw error(cell, "\(path)[\(r)][\(c)]", "is not finite") }
                elements.append(value)
            }
        }
        return Matrix(rows: rows.count, columns: width!, elements: elements)
    }
}
