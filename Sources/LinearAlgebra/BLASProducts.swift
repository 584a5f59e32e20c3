import CBLAS

/// A rectangular block of a matrix: the rows and columns it spans.
public struct BlockRange: Equatable, Sendable {
    public var rows: Range<Int>
    public var columns: Range<Int>

    public init(rows: Range<Int>, columns: Range<Int>) {
        self.rows = rows
        self.columns = columns
    }
}

extension Matrix {
    /// The block covering the whole matrix.
    public var whole: BlockRange { BlockRange(rows: 0..<rows, columns: 0..<columns) }

    /// C[cBlock] ← α·op(A[aBlock])·op(B[bBlock]) + β·C[cBlock], one OpenBLAS `dgemm` on blocks
    /// addressed in place (no copies). op(M) is M or Mᵀ.
    public static func multiplyAdd(
        into c: inout Matrix, at cBlock: BlockRange? = nil,
        _ a: Matrix, aBlock: BlockRange? = nil, transposeA: Bool = false,
        _ b: Matrix, bBlock: BlockRange? = nil, transposeB: Bool = false,
        alpha: Double = 1, beta: Double = 0
    ) {
        let ab = aBlock ?? a.whole, bb = bBlock ?? b.whole, cb = cBlock ?? c.whole
        let (m, k) = transposeA ? (ab.columns.count, ab.rows.count) : (ab.rows.count, ab.columns.count)
        let (kb, n) = transposeB ? (bb.columns.count, bb.rows.count) : (bb.rows.count, bb.columns.count)
        precondition(k == kb && cb.rows.count == m && cb.columns.count == n,
                     "gemm shapes do not agree: (\(m)×\(k))·(\(kb)×\(n)) into \(cb.rows.count)×\(cb.columns.count)")
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            c.scaleBlock(cb, by: beta)
            return
        }
        let (lda, ldb, ldc) = (a.columns, b.columns, c.columns)
        a.elements.withUnsafeBufferPointer { pa in
            b.elements.withUnsafeBufferPointer { pb in
                c.elements.withUnsafeMutableBufferPointer { pc in
                    cblas_dgemm(CblasRowMajor,
                                transposeA ? CblasTrans : CblasNoTrans,
                                transposeB ? CblasTrans : CblasNoTrans,
                                Int32(m), Int32(n), Int32(k), alpha,
                                pa.baseAddress! + ab.rows.lowerBound * lda + ab.columns.lowerBound, Int32(lda),
                                pb.baseAddress! + bb.rows.lowerBound * ldb + bb.columns.lowerBound, Int32(ldb),
                                beta,
                                pc.baseAddress! + cb.rows.lowerBound * ldc + cb.columns.lowerBound, Int32(ldc))
                }
            }
        }
    }

    /// α·op(A)·op(B) as a new matrix.
    public static func product(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false,
                               alpha: Double = 1) -> Matrix {
        let m = transposeA ? a.columns : a.rows
        let n = transposeB ? b.rows : b.columns
        var c = Matrix(rows: m, columns: n)
        multiplyAdd(into: &c, a, transposeA: transposeA, b, transposeB: transposeB, alpha: alpha)
        return c
    }

    /// A·B.
    public static func * (a: Matrix, b: Matrix) -> Matrix { Matrix.product(a, b) }

    /// The Gram matrix α·X·Xᵀ of the rows of X, from one `dsyrk` on the upper triangle, then
    /// mirrored so that the result is exactly symmetric.
    public static func gram(_ x: Matrix, alpha: Double = 1) -> Matrix {
        var c = Matrix(rows: x.rows, columns: x.rows)
        guard x.rows > 0 else { return c }
        if x.columns > 0 {
            x.elements.withUnsafeBufferPointer { px in
                c.elements.withUnsafeMutableBufferPointer { pc in
                    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(x.rows), Int32(x.columns),
                                alpha, px.baseAddress!, Int32(x.columns), 0, pc.baseAddress!, Int32(x.rows))
                }
            }
        }
        c.mirrorUpperTriangle()
        return c
    }

    /// Multiplies every entry of a block by `factor` (β = 0 clears it, even of NaN).
    mutating func scaleBlock(_ block: BlockRange, by factor: Double) {
        for i in block.rows {
            for j in block.columns { self[i, j] = factor == 0 ? 0 : factor * self[i, j] }
        }
    }
}
