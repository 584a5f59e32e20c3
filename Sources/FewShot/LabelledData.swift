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

    public init(csvFile path: String) throws {
        try self.init(csvText: readTextFile(path), source: path)
    }

    public init(csvText text: String, source: String) throws {
        // The feature columns keep their lines (skipped lines stay blank), so that the numeric
        // reader's errors name the file's own line numbers.
        var features: [String] = [], labels: [String] = []
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") {
                features.append("")
                continue
            }
            guard let comma = line.lastIndex(of: ",") else {
                throw TaskFamilyError.data(file: "\(source):\(number + 1)", message: "expected numbers followed by a label")
            }
            features.append(String(line[..<comma]))
            labels.append(line[line.index(after: comma)...].trimmingCharacters(in: .whitespaces))
        }
        let numeric = try Matrix(csvText: features.joined(separator: "\n"), source: source)
        classes = Array(Set(labels)).sorted()
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        classOfRow = labels.map { index[$0]! }
        inputs = numeric
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
        guard ways >= 2 else { throw TaskFamilyError.invalid(flag: "--ways", message: "must be at least 2, got \(ways)") }
        guard testFraction > 0 && testFraction < 1 else {
            throw TaskFamilyError.invalid(flag: "--test-class-fraction", message: "must lie strictly between 0 and 1")
        }
        let rows = rowsOfClass
        let usable = (0..<classes.count).filter { rows[$0].count >= pointsPerClass }
        var shuffled = usable
        shuffled.shuffle(using: &g)
        let testCount = Int((Double(shuffled.count) * testFraction).rounded())
        let test = Array(shuffled.prefix(testCount)), train = Array(shuffled.dropFirst(testCount))
        guard train.count >= ways && test.count >= ways else {
            throw TaskFamilyError.data(file: source, message: "\(usable.count) of its \(classes.count) classes have at least "
                + "\(pointsPerClass) points (support + query per class); \(ways)-way tasks need \(ways) training and \(ways) "
                + "test classes after the split (--test-class-fraction \(testFraction))")
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
