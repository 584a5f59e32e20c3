import InfiniteWidth
import LinearAlgebra
import TestSupport
import XCTest

/// Agreement with every kernel reference vector (Tests/Fixtures/kernels): Neural Tangents' NTK
/// parameterization, expected values exact to float64.
final class ReferenceKernelTests: XCTestCase {
    static func architecture(of c: KernelCase) throws -> Architecture {
        try Architecture(depth: c.config.depth, activation: Activation(parsing: c.config.activation),
                         weightStd: c.config.w_std, biasStd: c.config.b_std,
                         readoutWeightStd: c.config.out_w_std, readoutBiasStd: c.config.out_b_std)
    }

    /// Largest error over the four kernels, error measure max|a − e| / max|e| per matrix.
    static func worstError(_ kernels: NetworkKernels, _ c: KernelCase) -> Double {
        [("nngp", kernels.nngp), ("ntk", kernels.ntk), ("head", kernels.head), ("body", kernels.body)]
            .map { $0.1.maxRelativeDifference(to: c.expected($0.0)) }.max()!
    }

    func testEveryReferenceCaseWithinItsTolerance() throws {
        let cases = try Fixtures.kernelCases()
        XCTAssertEqual(cases.count, 18)
        for c in cases {
            let kernels = try KernelRecursion(Self.architecture(of: c)).kernels(c.x1, c.x2)
            let error = Self.worstError(kernels, c)
            print("kernel reference \(c.name): max relative error \(error) (tolerance \(c.tolerance))")
            XCTAssertLessThanOrEqual(error, c.tolerance, c.name)
        }
    }

    /// The closed-form cases are exact to float64: we reach round-off (≲ 1e-13) on every one,
    /// including the near-parallel pairs (1 − ρ = 1e-12) and the antipodal pair of k08, where an
    /// angle computed from rounded values would be off by ~1e-8 (theory.md §1).
    func testClosedFormCasesReachRoundOff() throws {
        for c in try Fixtures.kernelCases() where c.tolerance <= 1e-9 {
            let kernels = try KernelRecursion(Self.architecture(of: c)).kernels(c.x1, c.x2)
            XCTAssertLessThan(Self.worstError(kernels, c), 1e-13, c.name)
        }
    }

    /// The quadrature cases (GELU by quadrature instead of its closed form, tanh) reach the
    /// specification's 1e-12 target, far inside the files' 1e-6.
    func testQuadratureCasesMeetTheSpecificationTarget() throws {
        for c in try Fixtures.kernelCases() where c.tolerance > 1e-9 {
            let architecture = try Self.architecture(of: c)
            let byQuadrature = try Architecture(
                depth: architecture.depth, activation: .custom(QuadratureOnly.wrap(architecture.activation)),
                weightStd: architecture.weightStd, biasStd: architecture.biasStd)
            for arch in [architecture, byQuadrature] {
                let error = Self.worstError(try KernelRecursion(arch).kernels(c.x1, c.x2), c)
                print("kernel reference \(c.name) [\(arch.activation)]: max relative error \(error)")
                XCTAssertLessThan(error, 1e-12, "\(c.name) \(arch.activation)")
            }
        }
    }

    /// GSL's Gauss–Hermite rules make the errors the reference files report for them (within a
    /// factor 3; they are rule errors, far above round-off, for 25–100 points). The activation is
    /// wrapped as `.custom` so that the rule, not a closed form or series, computes the kernel;
    /// errors the files report at round-off level (< 1e-12) say nothing about the rule and are
    /// skipped.
    func testGaussHermiteRuleErrorsMatchTheReferenceProvenance() throws {
        for c in try Fixtures.kernelCases() {
            guard let reported = c.provenance.error_of_gauss_hermite_rules else { continue }
            let architecture = try Self.architecture(of: c)
            let arch = try Architecture(depth: architecture.depth, activation: .custom(QuadratureOnly.wrap(architecture.activation)),
                                        weightStd: architecture.weightStd, biasStd: architecture.biasStd)
            for points in [25, 50, 100] {
                guard let expected = reported["gauss_hermite_\(points)"], expected > 1e-12 else { continue }
                let kernels = try KernelRecursion(arch, quadrature: .gaussHermite(points: points)).kernels(c.x1, c.x2)
                let error = Self.worstError(kernels, c)
                XCTAssertTrue(error > expected / 3 && error < expected * 3,
                              "\(c.name), \(points) points: error \(error), reference reports \(expected)")
            }
        }
    }

    /// The activation cases a01–a06 (tanh, sigmoid, softplus, SiLU, sin, hermite:3; references
    /// converged to ~3e-15) are met to 1e-13 by the Hermite series and closed forms, and by the
    /// pair quadrature the series falls back on.
    func testActivationCasesMatchToRoundOff() throws {
        let cases = try Fixtures.kernelCases().filter { $0.name.hasPrefix("a0") }
        XCTAssertEqual(cases.count, 6)
        for c in cases {
            let architecture = try Self.architecture(of: c)
            let byQuadrature = try Architecture(
                depth: architecture.depth, activation: .custom(QuadratureOnly.wrap(architecture.activation)),
                weightStd: architecture.weightStd, biasStd: architecture.biasStd)
            for arch in [architecture, byQuadrature] {
                let error = Self.worstError(try KernelRecursion(arch).kernels(c.x1, c.x2), c)
                XCTAssertLessThan(error, 1e-13, "\(c.name) \(arch.activation)")
            }
        }
    }
}

/// An activation re-wrapped as `.custom`, so that its kernel is computed by quadrature even when
/// a closed form exists.
enum QuadratureOnly {
    static func wrap(_ activation: Activation) -> CustomActivation {
        CustomActivation(name: "\(activation) by quadrature", function: { activation.value($0) },
                         derivative: { activation.derivative($0) },
                         secondDerivative: { activation.secondDerivative($0) },
                         analyticity: activation.analyticity, kinks: activation.kinks)
    }
}
