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

/// A row-major matrix seen through a pointer, for reading: a `Matrix`'s storage or a block of
/// it, or a matrix inside another buffer (one layer's weights in a flat parameter vector). Row
/// i starts at base + i·leadingDimension.
public struct MatrixView {
    public let base: UnsafePointer<Double>
    public let rows: Int
    public let columns: Int
    public let leadingDimension: Int

    public init(base: UnsafePointer<Double>, rows: Int, columns: Int, leadingDimension: Int? = nil) {
        (self.base, self.rows, self.columns) = (base, rows, columns)
        self.leadingDimension = leadingDimension ?? columns
    }
}

/// A row-major matrix seen through a pointer, for writing (see `MatrixView`).
public struct MutableMatrixView {
    public let base: UnsafeMutablePointer<Double>
    public let rows: Int
    public let columns: Int
    public let leadingDimension: Int

    public init(base: UnsafeMutablePointer<Double>, rows: Int, columns: Int, leadingDimension: Int? = nil) {
        (self.base, self.rows, self.columns) = (base, rows, columns)
        self.leadingDimension = leadingDimension ?? columns
    }
}

/// C ← α·op(A)·op(B) + β·C with one OpenBLAS `dgemm`; op(M) is M or Mᵀ. The project's one
/// wrapper of dgemm: `Matrix.multiplyAdd` and the finite networks' layer products call it.
public func gemm(_ a: MatrixView, transposeA: Bool = false, _ b: MatrixView, transposeB: Bool = false,
                 into c: MutableMatrixView, alpha: Double, beta: Double) {
    let (m, k) = transposeA ? (a.columns, a.rows) : (a.rows, a.columns)
    let (kb, n) = transposeB ? (b.columns, b.rows) : (b.rows, b.columns)
    precondition(k == kb && c.rows == m && c.columns == n,
                 "gemm shapes do not agree: (\(m)×\(k))·(\(kb)×\(n)) into \(c.rows)×\(c.columns)")
    cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a.base, Int32(a.leadingDimension), b.base,
                Int32(b.leadingDimension), beta, c.base, Int32(c.leadingDimension))
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
                    gemm(MatrixView(base: pa.baseAddress! + ab.rows.lowerBound * lda + ab.columns.lowerBound,
                                    rows: ab.rows.count, columns: ab.columns.count, leadingDimension: lda),
                         transposeA: transposeA,
                         MatrixView(base: pb.baseAddress! + bb.rows.lowerBound * ldb + bb.columns.lowerBound,
                                    rows: bb.rows.count, columns: bb.columns.count, leadingDimension: ldb),
                         transposeB: transposeB,
                         into: MutableMatrixView(base: pc.baseAddress! + cb.rows.lowerBound * ldc + cb.columns.lowerBound,
                                                 rows: cb.rows.count, columns: cb.columns.count, leadingDimension: ldc),
                         alpha: alpha, beta: beta)
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
