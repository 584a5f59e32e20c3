import LinearAlgebra
import XCTest

final class ProductTests: XCTestCase {
    /// The naive triple loop, the reference for every BLAS product below.
    private func naiveProduct(_ a: Matrix, _ b: Matrix) -> Matrix {
        var c = Matrix(rows: a.rows, columns: b.columns)
        for i in 0..<a.rows { for j in 0..<b.columns { for k in 0..<a.columns { c[i, j] += a[i, k] * b[k, j] } } }
        return c
    }

    func testProductMatchesNaiveLoopInEveryTransposition() {
        var g = SeededGenerator(seed: 1)
        let a = Matrix.randomNormal(rows: 7, columns: 5, using: &g)
        let b = Matrix.randomNormal(rows: 5, columns: 3, using: &g)
        let reference = naiveProduct(a, b)
        XCTAssertLessThan((a * b).maxRelativeDifference(to: reference), 1e-15)
        XCTAssertLessThan(Matrix.product(a.transposed(), b, transposeA: true).maxRelativeDifference(to: reference), 1e-15)
        XCTAssertLessThan(Matrix.product(a, b.transposed(), transposeB: true).maxRelativeDifference(to: reference), 1e-15)
        XCTAssertLessThan(Matrix.product(a, b, alpha: -2).maxRelativeDifference(to: -2 * reference), 1e-15)
    }

    func testBlockProductAddressesBlocksInPlace() {
        var g = SeededGenerator(seed: 2)
        let a = Matrix.randomNormal(rows: 6, columns: 6, using: &g)
        let b = Matrix.randomNormal(rows: 6, columns: 6, using: &g)
        var c = Matrix(rows: 5, columns: 5, repeating: 1)
        Matrix.multiplyAdd(into: &c, at: BlockRange(rows: 1..<3, columns: 2..<5),
                           a, aBlock: BlockRange(rows: 3..<5, columns: 0..<4),
                           b, bBlock: BlockRange(rows: 2..<6, columns: 1..<4), alpha: 1, beta: 1)
        let expected = naiveProduct(a.block(rows: 3..<5, columns: 0..<4), b.block(rows: 2..<6, columns: 1..<4))
        for i in 0..<5 {
            for j in 0..<5 {
                let inBlock = (1..<3).contains(i) && (2..<5).contains(j)
                let want = inBlock ? 1 + expected[i - 1, j - 2] : 1
                XCTAssertEqual(c[i, j], want, accuracy: 1e-14, "entry (\(i), \(j))")
            }
        }
    }

    func testGramIsExactlySymmetricAndMatchesProduct() {
        var g = SeededGenerator(seed: 3)
        let x = Matrix.randomNormal(rows: 33, columns: 9, using: &g)
        let gram = Matrix.gram(x, alpha: 0.5)
        XCTAssertEqual(gram.asymmetry, 0)
        XCTAssertLessThan(gram.maxRelativeDifference(to: Matrix.product(x, x, transposeB: true, alpha: 0.5)), 1e-15)
    }

    func testTransposeAndMirror() {
        var g = SeededGenerator(seed: 4)
        let a = Matrix.randomNormal(rows: 70, columns: 45, using: &g)
        let t = a.transposed()
        for i in 0..<70 { for j in 0..<45 { XCTAssertEqual(a[i, j], t[j, i]) } }
        var s = Matrix.randomNormal(rows: 67, columns: 67, using: &g)
        let upper = s
        s.mirrorUpperTriangle()
        XCTAssertEqual(s.asymmetry, 0)
        for i in 0..<67 { for j in i..<67 { XCTAssertEqual(s[i, j], upper[i, j]) } }
    }

    /// Expanding rows of upper-triangle storage gives the mirrored matrix's rows, whatever lies
    /// below the diagonal (here NaN, which must never be read), for bands that cross tile edges.
    func testExpandUpperTriangleGivesWholeRows() {
        var g = SeededGenerator(seed: 5)
        let n = 75
        var upper = Matrix.randomNormal(rows: n, columns: n, using: &g)
        var whole = upper
        whole.mirrorUpperTriangle()
        for i in 0..<n { for j in 0..<i { upper[i, j] = .nan } }
        for band in [0..<1, 0..<33, 5..<37, 40..<75, 74..<75] {
            var rows = [Double](repeating: -1, count: band.count * n)
            upper.withUnsafeBufferPointer { source in
                rows.withUnsafeMutableBufferPointer {
                    Matrix.expandUpperTriangle(source.baseAddress!, size: n, rows: band, into: $0.baseAddress!)
                }
            }
            XCTAssertEqual(rows, Array(whole.elements[(band.lowerBound * n)..<(band.upperBound * n)]), "rows \(band)")
        }
    }

    func testBlocksAndStacking() {
        let m = Matrix(rowArrays: [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
        XCTAssertEqual(m.block(rows: 1..<3, columns: 0..<2), Matrix(rowArrays: [[4, 5], [7, 8]]))
        XCTAssertEqual(Matrix.stackingRows([m.rows(0..<1), m.rows(2..<3)]), Matrix(rowArrays: [[1, 2, 3], [7, 8, 9]]))
        XCTAssertEqual(m.selectingRows([2, 0]), Matrix(rowArrays: [[7, 8, 9], [1, 2, 3]]))
        var z = Matrix(rows: 3, columns: 4)
        z.setBlock(Matrix(rowArrays: [[1, 2], [3, 4]]), at: 1, 2)
        XCTAssertEqual(z, Matrix(rowArrays: [[0, 0, 0, 0], [0, 0, 1, 2], [0, 0, 3, 4]]))
    }

    func testFrobeniusNormDoesNotOverflow() {
        let m = Matrix(rowArrays: [[3e200, 4e200]])
        XCTAssertEqual(m.frobeniusNorm, 5e200, accuracy: 1e186)
        XCTAssertEqual(Matrix(rowArrays: [[3, 4]]).frobeniusNorm, 5)
    }
}
