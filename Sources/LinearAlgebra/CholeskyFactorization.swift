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
    /// ‖A‖₁, the largest column sum of |a_ij| of the matrix factored (for the condition estimate).
    private let oneNorm: Double

    /// Factors `matrix`. `name` says what the matrix is ("Φ, the meta-induced kernel") and
    /// `remedy` what the user can do if it is not positive definite; both appear in the error.
    /// A matrix passed with `consume` (no other reference to its storage) is factored in place,
    /// without a copy.
    public init(_ matrix: consuming Matrix, name: String, remedy: String? = nil) throws {
        try matrix.checkFactorizable(name: name)
        let n = matrix.rows
        oneNorm = CholeskyFactorization.oneNorm(matrix)
        var a = consume matrix
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

    /// LAPACK's estimate of 1/cond₁(A) for the matrix that was factored.
    public var reciprocalConditionEstimate: Double {
        guard size > 0 else { return 1 }
        var rcond = 0.0
        let info = factor.elements.withUnsafeBufferPointer { p in
            LAPACKE_dpocon(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int32(size), p.baseAddress, Int32(size), oneNorm, &rcond)
        }
        precondition(info == 0, "dpocon rejected its arguments (info \(info))")
        return rcond
    }

    /// The same estimate; `original` must be the matrix that was factored (kept for callers that
    /// hold it: the norm was taken at factoring).
    public func reciprocalConditionEstimate(of original: Matrix) -> Double {
        precondition(original.rows == size, "the original of a \(size)×\(size) factorization has \(original.rows) rows")
        return reciprocalConditionEstimate
    }

    /// ‖A‖₁ = max_j Σ_i |a_ij| of a square matrix.
    private static func oneNorm(_ a: borrowing Matrix) -> Double {
        let n = a.rows
        guard n > 0 else { return 0 }
        var columnSums = [Double](repeating: 0, count: n)
        a.withUnsafeBufferPointer { a in
            for i in 0..<n { for j in 0..<n { columnSums[j] += abs(a[i &* n &+ j]) } }
        }
        return columnSums.max()!
    }

    /// log det A = 2 Σ log L_ii.
    public var logDeterminant: Double {
        (0..<size).reduce(0) { $0 + 2 * log(factor[$1, $1]) }
    }
}
