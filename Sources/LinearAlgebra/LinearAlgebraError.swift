/// Failures of the dense linear algebra, worded for the person who has to fix them.
public enum LinearAlgebraError: Error, CustomStringConvertible, Equatable {
    /// A Cholesky factorization met a non-positive pivot. `matrix` names the matrix in the
    /// paper's terms ("Φ, the meta-induced kernel"), `pivot` is 1-based as in LAPACK.
    case notPositiveDefinite(matrix: String, size: Int, pivot: Int, remedy: String?)
    /// A positive-definite factorization succeeded but the matrix is singular to working
    /// precision (reciprocal condition number below n·ε), so a solve would be noise.
    case numericallySingular(matrix: String, size: Int, reciprocalCondition: Double, remedy: String?)
    /// LAPACK's symmetric eigensolver did not converge.
    case eigendecompositionFailed(matrix: String, info: Int)
    /// A matrix handed to a factorization holds NaN or ±∞.
    case nonFinite(matrix: String, row: Int, column: Int)
    /// A factorization was asked of a matrix that is not square.
    case notSquare(matrix: String, rows: Int, columns: Int)

    public var description: String {
        switch self {
        case let .notPositiveDefinite(matrix, size, pivot, remedy):
            var text = "\(matrix) (\(size)×\(size)) is not positive definite: the Cholesky factorization "
                + "failed at pivot \(pivot) of \(size)"
            if let remedy { text += "; \(remedy)" }
            return text
        case let .numericallySingular(matrix, size, reciprocalCondition, remedy):
            var text = "\(matrix) (\(size)×\(size)) is singular to working precision: its estimated reciprocal "
                + "condition number is \(reciprocalCondition)"
            if let remedy { text += "; \(remedy)" }
            return text
        case let .eigendecompositionFailed(matrix, info):
            return "the symmetric eigendecomposition of \(matrix) did not converge (LAPACK info \(info))"
        case let .nonFinite(matrix, row, column):
            return "\(matrix) holds a non-finite value at row \(row), column \(column)"
        case let .notSquare(matrix, rows, columns):
            return "\(matrix) must be square, but it is \(rows)×\(columns)"
        }
    }
}

extension Matrix {
    /// Refuses a matrix that no LAPACK factorization can take: not square, or holding NaN or ±∞.
    /// `name` says what the matrix is, in the error.
    func checkFactorizable(name: String) throws {
        guard isSquare else { throw LinearAlgebraError.notSquare(matrix: name, rows: rows, columns: columns) }
        if let (row, column) = firstNonFinite() {
            throw LinearAlgebraError.nonFinite(matrix: name, row: row, column: column)
        }
    }
}
