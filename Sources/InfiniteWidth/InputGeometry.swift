import LinearAlgebra

/// The first layer of the recursion, from the raw inputs (theory.md §1, NTK parameterization,
/// inputs entering as x·x'/d as in Neural Tangents):
///
///     Σ¹(x, x') = σ_w²·x·x'/d + σ_b²
///
/// and the determinant det¹ = q·q' − Σ¹² that the ABReLU recursion carries. For a pair whose
/// inputs are (nearly) parallel or antipodal, q·q' − Σ² computed from the rounded Gram entries
/// loses all its digits; such pairs get
///
///     det¹ = a²·|x|²·|y − c·x|² + a·b·|x − y|²,   a = σ_w²/d, b = σ_b², c = x·y/|x|²,
///
/// with the residual y − c·x formed by fused multiply-adds (an error in c changes |y − c·x|²
/// only to second order), accurate to round-off relative to det itself.
struct InputGeometry {
    let x1: Matrix
    /// nil for a symmetric call (X2 = X1).
    let x2: Matrix?
    let squaredNorms1: [Double]
    let squaredNorms2: [Double]

    /// Below this value of det/(q·q') (sin²θ) the determinant is recomputed from the inputs.
    static let recomputeBelow = 1e-2

    init(x1: Matrix, x2: Matrix?) {
        self.x1 = x1
        self.x2 = x2
        squaredNorms1 = InputGeometry.squaredNorms(x1)
        squaredNorms2 = x2.map(InputGeometry.squaredNorms) ?? squaredNorms1
    }

    var isSymmetric: Bool { x2 == nil }
    var dimension: Int { x1.columns }
    var count1: Int { x1.rows }
    var count2: Int { x2?.rows ?? x1.rows }

    /// Writes the inner products x1_i·x2_j for the rows of `rowBlock` and the columns of
    /// `columns` into `buffer` (row i − rowBlock.lowerBound, column j), one BLAS call per tile of
    /// `tileWidth` columns keyed to absolute indices: tile t covers columns
    /// [max(t·tileWidth, first), min((t + 1)·tileWidth, count2)) with first = rowBlock.lowerBound
    /// in a symmetric call and 0 otherwise, whichever part of it is needed. The same entry thus
    /// always comes from the same call, with the same bits. Column j is stored at buffer column
    /// j − `bufferFirstColumn`.
    func innerProducts(rowBlock: Range<Int>, columns: Range<Int>, tileWidth: Int, into buffer: inout Matrix,
                       bufferFirstColumn: Int = 0) {
        let other = x2 ?? x1
        let first = isSymmetric ? rowBlock.lowerBound : 0
        for tile in (columns.lowerBound / tileWidth)...((columns.upperBound - 1) / tileWidth) {
            let tileColumns = max(tile * tileWidth, first)..<min((tile + 1) * tileWidth, count2)
            guard !tileColumns.isEmpty else { continue }
            let target = (tileColumns.lowerBound - bufferFirstColumn)..<(tileColumns.upperBound - bufferFirstColumn)
            Matrix.multiplyAdd(into: &buffer, at: BlockRange(rows: 0..<rowBlock.count, columns: target),
                               x1, aBlock: BlockRange(rows: rowBlock, columns: 0..<dimension),
                               other, bBlock: BlockRange(rows: tileColumns, columns: 0..<dimension),
                               transposeB: true)
        }
    }

    private static func squaredNorms(_ x: Matrix) -> [Double] {
        (0..<x.rows).map { i in (0..<x.columns).reduce(0) { $0 + x[i, $1] * x[i, $1] } }
    }

    /// det¹ of the pair (x1_i, x2_j) from the inputs themselves (see the type's comment).
    func accurateDeterminant(_ i: Int, _ j: Int, a: Double, b: Double) -> Double {
        let other = x2 ?? x1
        let d = dimension
        return x1.withUnsafeBufferPointer { p1 in
            other.withUnsafeBufferPointer { p2 in
                let x = p1.baseAddress! + i * d, y = p2.baseAddress! + j * d
                var xx = 0.0, xy = 0.0, distance = 0.0
                for k in 0..<d {
                    xx += x[k] * x[k]
                    xy += x[k] * y[k]
                    distance += (x[k] - y[k]) * (x[k] - y[k])
                }
                var wedge = 0.0
                if xx > 0 {
                    let c = xy / xx
                    var residual = 0.0
                    for k in 0..<d {
                        let r = y[k].addingProduct(-c, x[k])
                        residual += r * r
                    }
                    wedge = xx * residual
                }
                return a * a * wedge + a * b * distance
            }
        }
    }
}
