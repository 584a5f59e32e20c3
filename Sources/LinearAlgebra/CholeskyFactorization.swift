import CLAPACKE
import Foundation

/// The Cholesky factorization A = L Lᵀ of a symmetric positive-definite matrix, for solving
/// A X = B.
///
/// The row-major buffer of a symmetric matrix is also its column-major buffer, so LAPACK is
/// called in column-major order on it directly (no transposition of A; see
/// Docs/native-libraries.md, trap 7).
public struct CholeskyFactorization: Sendable {
    /// The factor in LAPACK's column-major storage (lower triangle significant).
    private let factor: Matrix
    public let size: Int

    /// Factors `matrix`. `name` says what the matrix is ("Φ, the meta-induced kernel") and
    /// `remedy` what the user can do if it is not positive definite; both appear in the error.
    public init(_ matrix: Matrix, name: String, remedy: String? = nil) throws {
        try matrix.checkFactorizable(name: name)
        var a = matrix
        let n = matrix.rows
        // The _work variant skips LAPACKE's NaN scan: finiteness was checked above.
        let info = a.elements.withUnsafeMutableBufferPointer { p in
            LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), p.baseAddress, Int32(max(n, 1)))
        }
        if info > 0 {
            throw LinearAlgebraError.notPositiveDefinite(matrix: name, size: n, pivot: Int(info), remedy: remedy)
        }
        precondition(info == 0, "dpotrf rejected its arguments (info \(info))")
        factor = a
        size = n
    }

    /// X = A⁻¹ B for a row-major B with `size` rows.
    public func solve(_ b: Matrix) -> Matrix {
        precondition(b.rows == size, "right-hand side has \(b.rows) rows, the system \(size)")
        guard size > 0, b.columns > 0 else { return b }
        // A row-major n×k B is the column-major k×n Bᵀ; LAPACK wants column-major n×k.
        var x = b.transposed()
        let info = factor.elements.withUnsafeBufferPointer { pa in
            x.elements.withUnsafeMutableBufferPointer { px in
                LAPACKE_dpotrs(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int32(size), Int32(b.columns),
                               pa.baseAddress, Int32(size), px.baseAddress, Int32(size))
            }
        }
        precondition(info == 0, "dpotrs rejected its arguments (info \(info))")
        return x.transposed()
    }

    /// LAPACK's estimate of 1/cond₁(A) for the matrix `original` that was factored.
    public func reciprocalConditionEstimate(of original: Matrix) -> Double {
        guard size > 0 else { return 1 }
        // ‖A‖₁, the largest column sum of |a_ij|.
        var columnSums = [Double](repeating: 0, count: size)
        original.withUnsafeBufferPointer { a in
            for i in 0..<size { for j in 0..<size { columnSums[j] += abs(a[i &* size &+ j]) } }
        }
        let norm = columnSums.max()!
        var rcond = 0.0
        let info = factor.elements.withUnsafeBufferPointer { p in
            LAPACKE_dpocon(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int32(size), p.baseAddress, Int32(size), norm, &rcond)
        }
        precondition(info == 0, "dpocon rejected its arguments (info \(info))")
        return rcond
    }

    /// log det A = 2 Σ log L_ii.
    public var logDeterminant: Double {
        (0..<size).reduce(0) { $0 + 2 * log(factor[$1, $1]) }
    }
}
