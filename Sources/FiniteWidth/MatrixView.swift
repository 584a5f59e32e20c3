/// The finite networks' views of a `Matrix`'s storage for LinearAlgebra's `gemm`.
import LinearAlgebra

extension Matrix {
    /// Runs `body` on a read-only view of the (non-empty) storage.
    func withView<R>(_ body: (MatrixView) throws -> R) rethrows -> R {
        precondition(!isEmpty, "a network product met an empty \(shapeDescription) matrix")
        return try withUnsafeBufferPointer { try body(MatrixView(base: $0.baseAddress!, rows: rows, columns: columns)) }
    }

    /// Runs `body` on a writable view of the (non-empty) storage.
    mutating func withMutableView<R>(_ body: (MutableMatrixView) throws -> R) rethrows -> R {
        precondition(!isEmpty, "a network product met an empty \(shapeDescription) matrix")
        let (m, n) = (rows, columns)
        return try withUnsafeMutableBufferPointer {
            try body(MutableMatrixView(base: $0.baseAddress!, rows: m, columns: n))
        }
    }

    /// A zero matrix of `rows × columns` that `body` fills through a writable view.
    static func filled(rows: Int, columns: Int, _ body: (MutableMatrixView) throws -> Void) rethrows -> Matrix {
        var result = Matrix(rows: rows, columns: columns)
        try result.withMutableView(body)
        return result
    }
}
