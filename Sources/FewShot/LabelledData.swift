import Foundation
import LinearAlgebra

/// A labelled data set for classification tasks: a CSV file whose rows are points, the last
/// column the class label (any text), the other columns numbers. Blank lines and lines starting
/// with # are skipped.
public struct LabelledData: Sendable {
    public let source: String
    public let inputs: Matrix
    /// The class of each row, as an index into `classes`.
    public let classOfRow: [Int]
    /// The distinct labels, sorted.
    public let classes: [String]

    /// Reads a labelled data set: text (see the type) or a two-dimensional .npy array (by its
    /// magic string or a `.npy` name) whose last column is the class label, a number.
    public init(csvFile path: String) throws {
        if path.lowercased().hasSuffix(".npy") {
            try self.init(npyFile: path)
            return
        }
        let file = try InputFileBytes(path: path)
        if file.looksLikeNPY {
            try self.init(npyFile: path)
            return
        }
        try self.init(textBytes: file.storage, count: file.count, source: path)
    }

    public init(csvText text: String, source: String) throws {
        let bytes = Array(text.utf8) + [0]
        try self.init(textBytes: bytes, count: bytes.count - 1, source: source)
    }

    /// The labels are cut off each data line (after its last comma, or its last blank run when the
    /// line has no comma) and blanked out, so that the numeric reader parses the features in
    /// place and its errors name the file's own lines and columns.
    init(textBytes original: [UInt8], count: Int, source: String) throws {
        var bytes = original
        var labels: [String] = []
        var start = 0
        let (comma, space, tab, newline, ret, hash) = (UInt8(ascii: ","), UInt8(ascii: " "), UInt8(ascii: "\t"),
                                                      UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "#"))
        var lineNumber = 0
        while start < count {
            lineNumber += 1
            var end = start
            while end < count, bytes[end] != newline, bytes[end] != ret { end += 1 }
            var first = start
            while first < end, bytes[first] == space || bytes[first] == tab { first += 1 }
            var last = end
            while last > first, bytes[last - 1] == space || bytes[last - 1] == tab { last -= 1 }
            if first < last && bytes[first] != hash {
                var cut = last - 1
                while cut >= first, bytes[cut] != comma { cut -= 1 }
                if cut < first {   // no comma: the last blank-separated field
                    cut = last - 1
                    while cut >= first, bytes[cut] != space && bytes[cut] != tab { cut -= 1 }
                }
                guard cut >= first else {
                    throw TaskFamilyError.data(file: "\(source):\(lineNumber)", message: "expected numbers followed by a label")
                }
                let label = String(decoding: bytes[(cut + 1)..<last], as: UTF8.self).trimmingCharacters(in: .whitespaces)
                labels.append(label)
                for k in cut..<last { bytes[k] = space }
            }
            start = end
            if start < count, bytes[start] == ret { start += 1; if start < count, bytes[start] == newline { start += 1 } }
            else if start < count, bytes[start] == newline { start += 1 }
        }
        let numeric = try Matrix(csvBytes: bytes, count: count, source: source)
        guard numeric.rows == labels.count else {
            throw TaskFamilyError.data(file: source, message: "some lines hold a label but no numbers")
        }
        try self.init(inputs: numeric, labels: labels, source: source)
    }

    /// A .npy data set: every column but the last are the inputs, the last the class label.
    init(npyFile path: String) throws {
        let all = try Matrix(npyFile: path)
        guard all.columns >= 2 else {
            throw TaskFamilyError.data(file: path, message: "needs at least two columns: the inputs, then the class label")
        }
        let labels = (0..<all.rows).map { i -> String in
            let value = all[i, all.columns - 1]
            return value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : value.description
        }
        try self.init(inputs: all.block(rows: 0..<all.rows, columns: 0..<(all.columns - 1)), labels: labels, source: path)
    }

    private init(inputs: Matrix, labels: [String], source: String) throws {
        classes = Array(Set(labels)).sorted()
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        classOfRow = labels.map { index[$0]! }
        self.inputs = inputs
        self.source = source
    }

    /// Rows of each class.
    private var rowsOfClass: [[Int]] {
        var rows = [[Int]](repeating: [], count: classes.count)
        for (row, c) in classOfRow.enumerated() { rows[c].append(row) }
        return rows
    }

    /// Splits the classes (shuffled by the generator) into training and test classes; each part
    /// needs `ways` classes with `pointsPerClass` points each.
    func splitClasses(ways: Int, testFraction: Double, pointsPerClass: Int,
                      using g: inout SeededGenerator) throws -> (train: [Int], test: [Int]) {
        guard ways >= 2 else { throw TaskFamilyError.invalid(parameter: .ways, message: "must be at least 2, got \(ways)") }
        guard testFraction > 0 && testFraction < 1 else {
            throw TaskFamilyError.invalid(parameter: .testClassFraction, message: "must lie strictly between 0 and 1")
        }
        let rows = rowsOfClass
        let usable = (0..<classes.count).filter { rows[$0].count >= pointsPerClass }
        var shuffled = usable
        shuffled.shuffle(using: &g)
        let testCount = Int((Double(shuffled.count) * testFraction).rounded())
        let test = Array(shuffled.prefix(testCount)), train = Array(shuffled.dropFirst(testCount))
        guard train.count >= ways && test.count >= ways else {
            throw TaskFamilyError.tooFewClasses(file: source, usable: usable.count, total: classes.count,
                                                pointsPerClass: pointsPerClass, ways: ways, testFraction: testFraction)
        }
        return (train.sorted(), test.sorted())
    }

    /// A `ways`-way task from the class pool: classes in random order, one-hot targets in that
    /// order, distinct points for support and query.
    func drawTask(_ g: inout SeededGenerator, classes pool: [Int], ways: Int, supportPerClass: Int,
                  queryPerClass: Int) -> FewShotTask {
        var chosen = pool
        chosen.shuffle(using: &g)
        let rows = rowsOfClass
        var support: [(row: Int, label: Int)] = [], query: [(row: Int, label: Int)] = []
        for (label, c) in chosen.prefix(ways).enumerated() {
            var members = rows[c]
            members.shuffle(using: &g)
            support += members.prefix(supportPerClass).map { ($0, label) }
            query += members.dropFirst(supportPerClass).prefix(queryPerClass).map { ($0, label) }
        }
        func oneHot(_ points: [(row: Int, label: Int)]) -> Matrix {
            var y = Matrix(rows: points.count, columns: ways)
            for (i, p) in points.enumerated() { y[i, p.label] = 1 }
            return y
        }
        return FewShotTask(supportInputs: inputs.selectingRows(support.map(\.row)), supportLabels: oneHot(support),
                           queryInputs: inputs.selectingRows(query.map(\.row)), queryLabels: oneHot(query))
    }
}
