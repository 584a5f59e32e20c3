import CLAPACKE

/// The eigenvalues λ_k = a_k + i·b_k of a real square matrix that need not be symmetric, from
/// LAPACK's `dgeev` (no eigenvectors). The matrix is handed to LAPACK as stored, i.e. as its
/// transpose in column-major order; a matrix and its transpose have the same eigenvalues.
public struct GeneralEigenvalues: Sendable {
    /// Real parts a_k, in LAPACK's order (complex pairs adjacent).
    public let real: [Double]
    /// Imaginary parts b_k.
    public let imaginary: [Double]

    public var count: Int { real.count }

    /// `name` appears in errors.
    public init(_ matrix: Matrix, name: String) throws {
        try matrix.checkFactorizable(name: name)
        let n = matrix.rows
        var a = matrix.elements
        var re = [Double](repeating: 0, count: n), im = re
        guard n > 0 else { (real, imaginary) = ([], []); return }
        var leftUnused = 0.0, rightUnused = 0.0   // no eigenvectors are asked for
        let info = a.withUnsafeMutableBufferPointer { pa in
            re.withUnsafeMutableBufferPointer { pr in
                im.withUnsafeMutableBufferPointer { pi in
                    LAPACKE_dgeev(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "N")), Int8(UInt8(ascii: "N")), Int32(n),
                                  pa.baseAddress, Int32(n), pr.baseAddress, pi.baseAddress,
                                  &leftUnused, 1, &rightUnused, 1)
                }
            }
        }
        if info > 0 { throw LinearAlgebraError.eigendecompositionFailed(matrix: name, info: Int(info)) }
        precondition(info == 0, "dgeev rejected its arguments (info \(info))")
        (real, imaginary) = (re, im)
    }

    /// The largest modulus |λ_k| (0 for an empty matrix).
    public var spectralRadius: Double {
        zip(real, imaginary).map { ($0 * $0 + $1 * $1).squareRoot() }.max() ?? 0
    }
}
