import XCTest
import FewShot
import LinearAlgebra

/// The stability bound of gradient descent on a non-symmetric matrix (FOMAML's linearized outer
/// step), checked against the iteration it bounds, and the `dgeev` eigenvalues it rests on.
final class StableRateBoundTests: XCTestCase {
    /// dgeev on matrices whose eigenvalues are known: a rotation-scaling block a ± i·b and an
    /// upper-triangular matrix (its diagonal). Tolerance: a few ulps of the entries.
    func testGeneralEigenvaluesOfKnownMatrices() throws {
        let rotation = try GeneralEigenvalues(Matrix(rows: 2, columns: 2, elements: [3, -4, 4, 3]), name: "R")
        assertClose(rotation.real.sorted(), [3, 3], 1e-14)
        assertClose(rotation.imaginary.sorted(), [-4, 4], 1e-14)
        XCTAssertEqual(rotation.spectralRadius, 5, accuracy: 1e-14)
        let triangular = try GeneralEigenvalues(Matrix(rows: 3, columns: 3, elements: [2, 7, -1, 0, -0.5, 3, 0, 0, 9]), name: "U")
        assertClose(triangular.real.sorted(), [-0.5, 2, 9], 1e-13)
        assertClose(triangular.imaginary, [0, 0, 0], 1e-13)
        XCTAssertThrowsError(try GeneralEigenvalues(Matrix(rows: 2, columns: 3), name: "W"))
    }

    /// r ← (I − η·M)·r on M = Θ·S (Θ positive definite, S = I + a non-symmetric perturbation: the
    /// shape of FOMAML's Φ^FO): at 0.95 of the bound the residual ends smaller than it began
    /// after 20 000 steps, at 1.05 of it the residual has grown more than 1000-fold (norms tracked as
    /// logarithms). The margin is
    /// wide: the critical mode's factor per step is 1 ± O(0.05·(2a/|λ|)²).
    func testBoundSeparatesConvergingFromDivergingIterations() throws {
        var generator = SeededGenerator(seed: 11)
        var checked = 0
        for trial in 0..<5 {
            let n = 6
            let g = Matrix.randomNormal(rows: n, columns: n, using: &generator)
            var theta = Matrix.product(g, g, transposeB: true)
            for k in 0..<n { theta[k, k] += 0.5 }
            var s = Matrix.randomNormal(rows: n, columns: n, standardDeviation: 0.4, using: &generator)
            for k in 0..<n { s[k, k] += 1 }
            let m = Matrix.product(theta, s)
            let spectrum = try GeneralEigenvalues(m, name: "M")
            let bound = SpectralFactor.stableRateBound(realParts: spectrum.real, imaginaryParts: spectrum.imaginary)
            guard bound > 0, bound.isFinite else { continue }   // a draw with a non-positive real part
            let start = Matrix.randomNormal(rows: n, columns: 1, using: &generator)
            // log of ‖r_k‖/‖r_0‖, renormalizing every step so that neither side over- or underflows
            func logGrowth(_ rate: Double) -> Double {
                var (r, total) = (start, 0.0)
                for _ in 0..<20_000 {
                    r = r - rate * Matrix.product(m, r)
                    let norm = r.frobeniusNorm
                    total += log(norm)
                    r = (1 / norm) * r
                }
                return total - log(start.frobeniusNorm)
            }
            XCTAssertLessThan(logGrowth(0.95 * bound), 0, "trial \(trial)")
            XCTAssertGreaterThan(logGrowth(1.05 * bound), log(1e3), "trial \(trial)")
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 3, "too few draws had a positive bound to test")
    }

    /// An eigenvalue with negative real part leaves no stable rate; near-zero modes are ignored;
    /// a symmetric spectrum gives 2/λ_max as before.
    func testBoundEdgeCases() {
        XCTAssertEqual(SpectralFactor.stableRateBound(realParts: [1, -0.1], imaginaryParts: [0, 0]), 0)
        XCTAssertEqual(SpectralFactor.stableRateBound(realParts: [4, -1e-15], imaginaryParts: [0, 0]), 0.5)
        XCTAssertEqual(SpectralFactor.stableRateBound(realParts: [4, -1e-7], imaginaryParts: [0, 0]), 0)
        XCTAssertEqual(SpectralFactor.stableRateBound(realParts: [4, -1e-7], imaginaryParts: [0, 0], negligible: 1e-6), 0.5)
        XCTAssertEqual(SpectralFactor.stableRateBound(realParts: [4, 1], imaginaryParts: [0, 0]),
                       SpectralFactor.stableRateBound(largestEigenvalue: 4))
        XCTAssertEqual(SpectralFactor.stableRateBound(realParts: [1, 1], imaginaryParts: [1, -1]), 1, accuracy: 1e-15)
    }

    private func assertClose(_ actual: [Double], _ expected: [Double], _ tolerance: Double,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        for (a, e) in zip(actual, expected) { XCTAssertEqual(a, e, accuracy: tolerance, file: file, line: line) }
    }
}
