import FewShot
import Foundation
import LinearAlgebra
import XCTest

/// The adaptation operator T and the training function h (theory.md §3, §4).
final class AdaptationOperatorTests: XCTestCase {
    private func supportKernel(_ n: Int, seed: UInt64) -> Matrix {
        var g = SeededGenerator(seed: seed)
        return Matrix.gram(Matrix.randomNormal(rows: n, columns: n + 2, using: &g), alpha: 0.3)
    }

    /// The factors tend to r·t and r·k as s → 0 with full relative accuracy (no cancellation):
    /// against the first terms of their Taylor series at s = 1e-9, where the series is exact to
    /// ~1e-18.
    func testSpectralFactorsAreAccurateNearZero() {
        let s = 1e-9, r = 0.7, t = 3.0, k = 12
        let flow = r * t * (1 - r * t * s / 2 + (r * t * s) * (r * t * s) / 6)
        XCTAssertEqual(SpectralFactor.gradientFlow(s, rate: r, time: t), flow, accuracy: 1e-15 * flow)
        let kd = Double(k)
        let descent = r * kd * (1 - (kd - 1) * r * s / 2)
        XCTAssertEqual(SpectralFactor.gradientDescent(s, rate: r, steps: k), descent, accuracy: 1e-15 * descent)
        XCTAssertEqual(SpectralFactor.gradientFlow(0, rate: r, time: t), r * t)
        XCTAssertEqual(SpectralFactor.gradientDescent(0, rate: r, steps: k), r * kd)
        // Away from zero: the closed forms.
        XCTAssertEqual(SpectralFactor.gradientFlow(2, rate: r, time: t), (1 - exp(-2 * r * t)) / 2, accuracy: 1e-16)
        XCTAssertEqual(SpectralFactor.gradientDescent(1.5, rate: r, steps: 3), (1 - pow(1 - 1.5 * r, 3)) / 1.5, accuracy: 1e-15)
    }

    /// λτ → 0: T = λτ·(I − λτ·S/2 + …), so ‖T/(λτ) − I‖ falls linearly with λτ.
    func testShortInnerLoopGivesLambdaTauTimesIdentity() throws {
        let spectrum = try SupportSpectrum(supportKernel: supportKernel(6, seed: 1), name: "S")
        var errors: [Double] = []
        for lambdaTau in [1e-3, 1e-5] {
            let t = try spectrum.adaptationOperator(.gradientFlow(rate: 1, time: lambdaTau))
            errors.append(((1 / lambdaTau) * t - Matrix.identity(6)).maxAbs)
        }
        let s = spectrum.eigen.largestEigenvalue
        XCTAssertLessThan(errors[0], 1e-3 * s)
        XCTAssertEqual(errors[0] / errors[1], 100, accuracy: 1, "the deviation is linear in λτ")
    }

    /// One discrete step is one gradient step: T = λ·I, to round-off.
    func testOneDiscreteStepIsLambdaTimesIdentity() throws {
        let spectrum = try SupportSpectrum(supportKernel: supportKernel(7, seed: 2), name: "S")
        let lambda = 0.9 / spectrum.eigen.largestEigenvalue
        let t = try spectrum.adaptationOperator(.gradientDescent(rate: lambda, steps: 1))
        XCTAssertLessThan((t - lambda * Matrix.identity(7)).maxAbs, 1e-14 * lambda)
    }

    /// τ discrete steps of f ← f − λ·S·(f − Y') from f = 0 give f = S·T·Y' exactly.
    func testDiscreteStepsMatchTheirIteration() throws {
        let s = supportKernel(5, seed: 3)
        let spectrum = try SupportSpectrum(supportKernel: s, name: "S")
        let lambda = 1.5 / spectrum.eigen.largestEigenvalue, steps = 9
        var g = SeededGenerator(seed: 4)
        let y = Matrix.randomNormal(rows: 5, columns: 2, using: &g)
        var f = Matrix(rows: 5, columns: 2)
        for _ in 0..<steps { f = f - lambda * (s * (f - y)) }
        let t = try spectrum.adaptationOperator(.gradientDescent(rate: lambda, steps: steps))
        XCTAssertLessThan((s * t * y - f).maxAbs, 1e-13 * y.maxAbs)
    }

    /// The exact solver interpolates: S·T·Y' = Y' for positive definite S; ridge tends to it as μ → 0.
    func testExactSolverReproducesTheSupportLabels() throws {
        let s = supportKernel(6, seed: 5)
        let spectrum = try SupportSpectrum(supportKernel: s, name: "S")
        var g = SeededGenerator(seed: 6)
        let y = Matrix.randomNormal(rows: 6, columns: 3, using: &g)
        let exact = s * (try spectrum.adaptationOperator(.exact)) * y
        XCTAssertLessThan((exact - y).maxAbs, 1e-14 * spectrum.eigen.conditionNumber * y.maxAbs, "round-off times cond S")
        let ridge = s * (try spectrum.adaptationOperator(.ridge(penalty: 1e-9))) * y
        XCTAssertLessThan((ridge - y).maxAbs, 1e-9 * spectrum.eigen.conditionNumber * y.maxAbs)
    }

    func testDivergentRatesAreRefusedWithTheBound() throws {
        let spectrum = try SupportSpectrum(supportKernel: supportKernel(4, seed: 7), name: "the support kernel K(X', X') of train[2]")
        let bound = 2 / spectrum.eigen.largestEigenvalue
        XCTAssertNoThrow(try spectrum.adaptationOperator(.gradientDescent(rate: 0.999 * bound, steps: 3)))
        XCTAssertThrowsError(try spectrum.adaptationOperator(.gradientDescent(rate: 1.01 * bound, steps: 3))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("the inner rate λ") && text.contains("train[2]") && text.contains("\(bound)"), text)
        }
    }

    /// h(M)·B: t = ∞ solves, finite times are spectral and accept a singular M, and a singular M at
    /// t = ∞ is refused naming the matrix and suggesting the diagonal regularization r (a typed
    /// error: a command names r by its flag).
    func testTrainingFunction() throws {
        let m = supportKernel(5, seed: 8)
        var g = SeededGenerator(seed: 9)
        let b = Matrix.randomNormal(rows: 5, columns: 1, using: &g)
        let converged = try TrainingTime.converged.apply(to: m, b, matrixName: "Φ")
        XCTAssertLessThan((m * converged - b).maxAbs, 1e-10 * b.maxAbs)
        let long = try TrainingTime.gradientFlow(rate: 1, time: 1e7).apply(to: m, b, matrixName: "Φ")
        XCTAssertLessThan((long - converged).maxAbs, 1e-8 * converged.maxAbs)
        let x = Matrix.randomNormal(rows: 5, columns: 2, using: &g)
        let singular = Matrix.gram(x)   // rank 2
        XCTAssertThrowsError(try TrainingTime.converged.apply(to: singular, b, matrixName: "Φ, the meta-induced kernel")) {
            let text = "\($0)"
            XCTAssertTrue(text.contains("Φ, the meta-induced kernel") && text.contains("the diagonal regularization r"), text)
            XCTAssertFalse(text.contains("--"), "a library error names parameters, not flags: \(text)")
            let named = ($0 as? SingularOuterSystemError)?.description(naming: { $0 == .diagonalRegularization ? "R" : "T" })
            XCTAssertEqual(named?.contains("add R (adds"), true, named ?? "not a SingularOuterSystemError")
        }
        let finite = try TrainingTime.gradientFlow(rate: 1, time: 2).apply(to: singular, b, matrixName: "Φ")
        XCTAssertTrue(finite.allFinite)
        // Regularized, t = ∞ works: r·mean(diag) is added to the diagonal.
        XCTAssertNoThrow(try TrainingTime.converged.apply(to: singular, b, matrixName: "Φ", diagonalRegularization: 1e-6))
        let eta = 2.5 / (try SymmetricEigendecomposition(m, name: "m")).largestEigenvalue
        XCTAssertThrowsError(try TrainingTime.gradientDescent(rate: eta, steps: 10).apply(to: m, b, matrixName: "Θ_MTL")) {
            XCTAssertTrue("\($0)".contains("the outer rate η"), "\($0)")
        }
    }
}
