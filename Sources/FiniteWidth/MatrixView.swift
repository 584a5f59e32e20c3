import CBLAS
import LinearAlgebra

/// A contiguous row-major matrix seen through a pointer, for reading: a `Matrix`'s storage, or
/// one layer's weights inside the flat parameter buffer.
struct MatrixView {
    let base: UnsafePointer<Double>
    let rows: Int
    let columns: Int
}

/// A contiguous row-major matrix seen through a pointer, for writing.
struct MutableMatrixView {
    let base: UnsafeMutablePointer<Double>
    let rows: Int
    let columns: Int
}

/// C ← α·op(A)·op(B) + β·C with one OpenBLAS `dgemm`; op(M) is M or Mᵀ.
func gemm(_ a: MatrixView, transposeA: Bool = false, _ b: MatrixView, transposeB: Bool = false,
          into c: MutableMatrixView, alpha: Double, beta: Double) {
    let (m, k) = transposeA ? (a.columns, a.rows) : (a.rows, a.columns)
    let (kb, n) = transposeB ? (b.columns, b.rows) : (b.rows, b.columns)
    precondition(k == kb && c.rows == m && c.columns == n,
                 "gemm shapes do not agree: (\(m)×\(k))·(\(kb)×\(n)) into \(c.rows)×\(c.columns)")
    cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a.base, Int32(a.columns), b.base, Int32(b.columns),
                beta, c.base, Int32(c.columns))
}

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
