import LinearAlgebra
import XCTest

final class FactorizationTests: XCTestCase {
    /// A random symmetric positive-definite matrix B Bᵀ + n·I.
    private func spdMatrix(_ n: Int, seed: UInt64) -> Matrix {
        var g = SeededGenerator(seed: seed)
        let b = Matrix.randomNormal(rows: n, columns: n, using: &g)
        return Matrix.gram(b).addingRelativeDiagonal(0.1)
    }

    func testCholeskySolveHasSmallResidual() throws {
        let a = spdMatrix(40, seed: 10)
        var g = SeededGenerator(seed: 11)
        let b = Matrix.randomNormal(rows: 40, columns: 3, using: &g)
        let x = try CholeskyFactorization(a, name: "A").solve(b)
        XCTAssertLessThan((a * x - b).maxAbs, 1e-12 * a.maxAbs * x.maxAbs)
    }

    func testCholeskyNamesTheMatrixThePivotAndTheRemedy() {
        // Positive leading 2×2 block, then a direction of negative curvature at pivot 3.
        let a = Matrix(rowArrays: [[2, 0, 0], [0, 1, 0], [0, 0, -1]])
        XCTAssertThrowsError(try CholeskyFactorization(a, name: "Φ (the meta-induced kernel)",
                                                       remedy: "add --diag-reg 1e-8")) { error in
            XCTAssertEqual(error as? LinearAlgebraError,
                           .notPositiveDefinite(matrix: "Φ (the meta-induced kernel)", size: 3, pivot: 3,
                                                remedy: "add --diag-reg 1e-8"))
            let text = "\(error)"
            XCTAssertTrue(text.contains("Φ (the meta-induced kernel)") && text.contains("pivot 3")
                          && text.contains("--diag-reg"), text)
        }
    }

    func testFactorizationsRefuseNonFiniteMatrices() {
        var a = Matrix.identity(3)
        a[1, 2] = .nan
        XCTAssertThrowsError(try CholeskyFactorization(a, name: "S")) {
            XCTAssertEqual($0 as? LinearAlgebraError, .nonFinite(matrix: "S", row: 1, column: 2))
        }
        XCTAssertThrowsError(try SymmetricEigendecomposition(a, name: "S"))
    }

    func testEigendecompositionReconstructsTheMatrix() throws {
        let a = spdMatrix(25, seed: 12)
        let eig = try SymmetricEigendecomposition(a, name: "A")
        XCTAssertEqual(eig.eigenvalues, eig.eigenvalues.sorted())
        XCTAssertLessThan(eig.spectralFunction { $0 }.maxRelativeDifference(to: a), 1e-13)
        // Orthonormal eigenvectors: U Uᵀ = I.
        let uut = Matrix.product(eig.eigenvectorRows, eig.eigenvectorRows, transposeB: true)
        XCTAssertLessThan((uut - Matrix.identity(25)).maxAbs, 1e-13)
    }

    func testSpectralInverseMatchesCholeskySolve() throws {
        let a = spdMatrix(30, seed: 13)
        var g = SeededGenerator(seed: 14)
        let b = Matrix.randomNormal(rows: 30, columns: 2, using: &g)
        let eig = try SymmetricEigendecomposition(a, name: "A")
        let viaSpectrum = eig.applySpectralFunction({ 1 / $0 }, to: b)
        let viaCholesky = try CholeskyFactorization(a, name: "A").solve(b)
        XCTAssertLessThan(viaSpectrum.maxRelativeDifference(to: viaCholesky), 1e-12)
        XCTAssertLessThan((eig.spectralFunction { 1 / $0 } * b).maxRelativeDifference(to: viaCholesky), 1e-12)
    }

    func testPseudoInverseOfASingularMatrix() throws {
        // Rank 2 in 4 dimensions: the Penrose conditions A A⁺ A = A and A⁺ A A⁺ = A⁺.
        var g = SeededGenerator(seed: 15)
        let b = Matrix.randomNormal(rows: 4, columns: 2, using: &g)
        let a = Matrix.gram(b)
        let eig = try SymmetricEigendecomposition(a, name: "A")
        XCTAssertGreaterThan(eig.conditionNumber, 1e12, "rank 2 of 4: two eigenvalues are round-off")
        let pinv = eig.pseudoInverse()
        XCTAssertLessThan((a * pinv * a - a).maxAbs, 1e-12 * a.maxAbs)
        XCTAssertLessThan((pinv * a * pinv - pinv).maxAbs, 1e-12 * pinv.maxAbs)
    }

    func testRelativeDiagonalRegularizationShiftsByTheMeanDiagonal() {
        let a = Matrix(rowArrays: [[2, 1], [1, 4]])
        XCTAssertEqual(a.addingRelativeDiagonal(0.5), Matrix(rowArrays: [[3.5, 1], [1, 5.5]]))
        XCTAssertEqual(a.addingRelativeDiagonal(0), a)
    }
}
