/// The `LinearAlgebra` module: a row-major float64 matrix and the dense linear algebra the
/// toolkit needs (BLAS products, Gram matrices, Cholesky, symmetric eigendecomposition,
/// spectral functions U f(s) Uᵀ, pseudo-inverses, relative diagonal regularization).
/// It implements no formula of theory.md itself; every section of it is computed with these
/// tools.

/// A dense, row-major matrix of `Double`.
///
/// Element (i, j) is stored at `elements[i * columns + j]`. The type has value semantics
/// (copy-on-write through its array), so assigning a matrix to two names shares storage until
/// one of them is mutated.
public struct Matrix: Equatable, Sendable {
    public let rows: Int
    public let columns: Int
    /// The entries, row after row.
    public internal(set) var elements: [Double]

    /// A `rows × columns` matrix filled with `value`.
    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && columns >= 0, "matrix dimensions must be non-negative")
        self.rows = rows
        self.columns = columns
        self.elements = [Double](repeating: value, count: rows * columns)
    }

    /// A matrix over existing row-major storage; `elements.count` must be `rows * columns`.
    public init(rows: Int, columns: Int, elements: [Double]) {
        precondition(elements.count == rows * columns,
                     "\(elements.count) elements cannot fill a \(rows)×\(columns) matrix")
        self.rows = rows
        self.columns = columns
        self.elements = elements
    }

    /// A matrix from equally long rows. Callers that read user input check raggedness first
    /// and report it with a file and line; here it is a programming error.
    public init(rowArrays: [[Double]]) {
        let columns = rowArrays.first?.count ?? 0
        precondition(rowArrays.allSatisfy { $0.count == columns }, "rows of unequal length")
        self.init(rows: rowArrays.count, columns: columns, elements: rowArrays.flatMap { $0 })
    }

    /// The n × n identity.
    public static func identity(_ n: Int) -> Matrix {
        var result = Matrix(rows: n, columns: n)
        for i in 0..<n { result.elements[i * n + i] = 1 }
        return result
    }

    /// A matrix with `values` on its diagonal.
    public static func diagonal(_ values: [Double]) -> Matrix {
        var result = Matrix(rows: values.count, columns: values.count)
        for (i, v) in values.enumerated() { result.elements[i * values.count + i] = v }
        return result
    }

    public subscript(row: Int, column: Int) -> Double {
        get { elements[row * columns + column] }
        set { elements[row * columns + column] = newValue }
    }

    public var isSquare: Bool { rows == columns }
    public var isEmpty: Bool { rows == 0 || columns == 0 }
    public var shapeDescription: String { "\(rows)×\(columns)" }

    /// Row `i` as an array.
    public func row(_ i: Int) -> [Double] {
        Array(elements[(i * columns)..<((i + 1) * columns)])
    }

    /// The rows as arrays (for output and tests).
    public var rowArrays: [[Double]] { (0..<rows).map(row) }

    /// The diagonal entries (min(rows, columns) of them).
    public var diagonalElements: [Double] {
        (0..<min(rows, columns)).map { elements[$0 * columns + $0] }
    }

    public var allFinite: Bool { elements.allSatisfy(\.isFinite) }

    /// Position of the first non-finite entry, if any.
    public func firstNonFinite() -> (row: Int, column: Int)? {
        guard let k = elements.firstIndex(where: { !$0.isFinite }) else { return nil }
        return (k / columns, k % columns)
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Double>) throws -> R) rethrows -> R {
        try elements.withUnsafeBufferPointer(body)
    }

    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Double>) throws -> R
    ) rethrows -> R {
        try elements.withUnsafeMutableBufferPointer(body)
    }
}

extension Matrix: CustomStringConvertible {
    public var description: String {
        let shown = rowArrays.prefix(8).map { row in
            row.prefix(8).map { String($0) }.joined(separator: ", ") + (columns > 8 ? ", …" : "")
        }
        return "Matrix \(shapeDescription)\n" + shown.joined(separator: "\n") + (rows > 8 ? "\n…" : "")
    }
}

extension Matrix {
    /// `count` new rows × columns matrices whose every entry `body` writes through the given
    /// pointers (in parallel, for example). The storage is not zero-filled first: large storage
    /// comes untouched from the operating system, so its pages are first touched by the writers,
    /// on all cores, instead of by a serial fill. `body` must write every entry.
    public static func producing(_ count: Int, rows: Int, columns: Int,
                                 _ body: ([UnsafeMutablePointer<Double>]) throws -> Void) rethrows -> [Matrix] {
        precondition(rows > 0 && columns > 0, "produced matrices must not be empty")
        var finished: [Matrix] = []
        func nest(_ pointers: [UnsafeMutablePointer<Double>]) throws {
            guard pointers.count < count else { return try body(pointers) }
            let elements = try [Double](unsafeUninitializedCapacity: rows * columns) { storage, initialized in
                AllocatorTuning.adviseHugePages(storage.baseAddress!, bytes: rows * columns * 8)
                try nest(pointers + [storage.baseAddress!])
                initialized = rows * columns
            }
            finished.append(Matrix(rows: rows, columns: columns, elements: elements))
        }
        try nest([])
        return finished.reversed()   // the innermost storage is finished first
    }
}
