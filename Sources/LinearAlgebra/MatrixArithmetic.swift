/// Elementwise arithmetic and norms. Matrix-shaped products are in `BLASProducts.swift`.
extension Matrix {
    public static func + (lhs: Matrix, rhs: Matrix) -> Matrix {
        precondition(lhs.rows == rhs.rows && lhs.columns == rhs.columns,
                     "cannot add \(lhs.shapeDescription) and \(rhs.shapeDescription)")
        return Matrix(rows: lhs.rows, columns: lhs.columns,
                      elements: zip(lhs.elements, rhs.elements).map { $0 + $1 })
    }

    public static func - (lhs: Matrix, rhs: Matrix) -> Matrix {
        precondition(lhs.rows == rhs.rows && lhs.columns == rhs.columns,
                     "cannot subtract \(rhs.shapeDescription) from \(lhs.shapeDescription)")
        return Matrix(rows: lhs.rows, columns: lhs.columns,
                      elements: zip(lhs.elements, rhs.elements).map { $0 - $1 })
    }

    public static func * (scale: Double, matrix: Matrix) -> Matrix {
        Matrix(rows: matrix.rows, columns: matrix.columns, elements: matrix.elements.map { scale * $0 })
    }

    /// The matrix with `transform` applied to every entry.
    public func map(_ transform: (Double) -> Double) -> Matrix {
        Matrix(rows: rows, columns: columns, elements: elements.map(transform))
    }

    /// Every row scaled to unit Euclidean norm (zero rows stay zero): points projected onto the
    /// unit sphere.
    public func normalizingRows() -> Matrix {
        var result = self
        for i in 0..<rows {
            let norm = (0..<columns).reduce(0) { $0 + self[i, $1] * self[i, $1] }.squareRoot()
            guard norm > 0 else { continue }
            for j in 0..<columns { result[i, j] = self[i, j] / norm }
        }
        return result
    }

    /// The Hadamard (entrywise) product.
    public func hadamard(_ other: Matrix) -> Matrix {
        precondition(rows == other.rows && columns == other.columns, "Hadamard product of different shapes")
        return Matrix(rows: rows, columns: columns, elements: zip(elements, other.elements).map { $0 * $1 })
    }

    /// ‖A‖_F.
    public var frobeniusNorm: Double {
        // Scaled sum of squares: no overflow for large entries, no underflow for tiny ones.
        let scale = elements.reduce(0) { max($0, abs($1)) }
        guard scale > 0, scale.isFinite else { return scale }
        let sum = elements.reduce(0) { $0 + ($1 / scale) * ($1 / scale) }
        return scale * sum.squareRoot()
    }

    /// max |a_ij|.
    public var maxAbs: Double { elements.reduce(0) { max($0, abs($1)) } }

    /// Sum of the diagonal.
    public var trace: Double { diagonalElements.reduce(0, +) }

    /// max_ij |a_ij − b_ij| / max_ij |b_ij|: the error measure of the reference vectors.
    public func maxRelativeDifference(to reference: Matrix) -> Double {
        precondition(rows == reference.rows && columns == reference.columns, "shapes differ")
        var worst = 0.0
        for (a, b) in zip(elements, reference.elements) { worst = max(worst, abs(a - b)) }
        let scale = reference.maxAbs
        return scale > 0 ? worst / scale : worst
    }

    /// max_ij |a_ij − a_ji| for a square matrix.
    public var asymmetry: Double {
        precondition(isSquare)
        var worst = 0.0
        for i in 0..<rows {
            for j in (i + 1)..<columns { worst = max(worst, abs(self[i, j] - self[j, i])) }
        }
        return worst
    }
}
