import CLAPACKE

/// The eigendecomposition A = U diag(s) Uᵀ of a real symmetric matrix, and spectral functions
/// of it, U diag(f(s)) Uᵀ: the tool for every adaptation operator T and every outer training
/// function h(Φ) of theory.md §3–§5.
public struct SymmetricEigendecomposition: Sendable {
    /// Eigenvalues in ascending order.
    public let eigenvalues: [Double]
    /// Row k is the unit eigenvector of `eigenvalues[k]` (so this matrix is Uᵀ).
    public let eigenvectorRows: Matrix

    public var size: Int { eigenvalues.count }

    /// Decomposes the symmetric `matrix` with LAPACK's divide-and-conquer `dsyevd`. Only the
    /// upper triangle (row-major) is read. `name` appears in errors.
    public init(_ matrix: consuming Matrix, name: String) throws {
        try matrix.checkFactorizable(name: name)
        let n = matrix.rows
        var a = consume matrix
        var values = [Double](repeating: 0, count: n)
        guard n > 0 else {
            eigenvalues = []
            eigenvectorRows = a
            return
        }
        // Row-major upper = column-major lower. On return the columns of the column-major
        // buffer are eigenvectors, i.e. its rows when read row-major.
        let info = a.elements.withUnsafeMutableBufferPointer { pa in
            values.withUnsafeMutableBufferPointer { pw in
                LAPACKE_dsyevd(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "L")),
                               Int32(n), pa.baseAddress, Int32(n), pw.baseAddress)
            }
        }
        if info > 0 { throw LinearAlgebraError.eigendecompositionFailed(matrix: name, info: Int(info)) }
        precondition(info == 0, "dsyevd rejected its arguments (info \(info))")
        eigenvalues = values
        eigenvectorRows = a
    }

    public var largestEigenvalue: Double { eigenvalues.last ?? 0 }
    public var smallestEigenvalue: Double { eigenvalues.first ?? 0 }

    /// s_max / s_min; +∞ when the smallest eigenvalue is not positive.
    public var conditionNumber: Double {
        guard let low = eigenvalues.first, let high = eigenvalues.last else { return 1 }
        return low > 0 ? high / low : .infinity
    }

    /// U diag(f(s)) Uᵀ.
    public func spectralFunction(_ f: (Double) -> Double) -> Matrix {
        let scaled = scalingRows(of: eigenvectorRows, by: eigenvalues.map(f))
        return Matrix.product(eigenvectorRows, scaled, transposeA: true)
    }

    /// U diag(f(s)) Uᵀ B, without forming the n × n matrix: Uᵀ B, scaled, then U·(…).
    public func applySpectralFunction(_ f: (Double) -> Double, to b: Matrix) -> Matrix {
        precondition(b.rows == size, "a \(b.shapeDescription) matrix cannot be multiplied by a \(size)×\(size) one")
        let projected = Matrix.product(eigenvectorRows, b)
        let scaled = scalingRows(of: projected, by: eigenvalues.map(f))
        return Matrix.product(eigenvectorRows, scaled, transposeA: true)
    }

    /// The Moore–Penrose pseudo-inverse: 1/s for s > `relativeTolerance`·s_max, else 0.
    public func pseudoInverse(relativeTolerance: Double = 1e-12) -> Matrix {
        let cutoff = relativeTolerance * max(largestEigenvalue, 0)
        return spectralFunction { $0 > cutoff ? 1 / $0 : 0 }
    }

    private func scalingRows(of m: Matrix, by factors: [Double]) -> Matrix {
        var result = m
        let width = m.columns
        result.withUnsafeMutableBufferPointer { p in
            for (k, factor) in factors.enumerated() {
                for j in 0..<width { p[k * width + j] *= factor }
            }
        }
        return result
    }
}

extension Matrix {
    /// A + r·mean(diag A)·I: diagonal regularization relative to the mean diagonal (the
    /// toolkit's `--diag-reg r`).
    public func addingRelativeDiagonal(_ r: Double) -> Matrix {
        precondition(isSquare, "diagonal regularization needs a square matrix")
        guard r != 0, rows > 0 else { return self }
        let shift = r * trace / Double(rows)
        var result = self
        for i in 0..<rows { result[i, i] += shift }
        return result
    }
}
