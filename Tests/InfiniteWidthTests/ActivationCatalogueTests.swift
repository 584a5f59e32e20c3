import CNumerics
import InfiniteWidth
import LinearAlgebra
import XCTest

/// Every catalogue activation's kernel maps against quadrature, and the identities the exact
/// forms must satisfy (Docs/activations.md).
final class ActivationCatalogueTests: XCTestCase {
    /// Every catalogue name, with parameters where it takes some.
    static let catalogue = ["relu", "leaky-relu:0.1", "abrelu:-0.5,1.5", "erf", "identity", "gelu", "tanh", "softplus", "sin",
                            "sigmoid", "silu", "elu:0.8", "selu", "cos", "gaussian", "exp", "abs", "sign", "monomial:3",
                            "rectified-monomial:0", "rectified-monomial:1", "rectified-monomial:3", "hermite:5",
                            "polynomial:0.5,1,-0.3,0.1"]

    private func inputs(_ n: Int, _ d: Int, seed: UInt64, scale: Double = 1) -> Matrix {
        var g = SeededGenerator(seed: seed)
        return Matrix.randomNormal(rows: n, columns: d, standardDeviation: scale, using: &g)
    }

    /// The same activation as `.custom`, so that its kernel is computed by the pair quadrature
    /// (trapezoid rule, split Gauss–Legendre at kinks).
    private func byQuadrature(_ activation: Activation) -> Activation {
        .custom(CustomActivation(name: "\(activation) by quadrature", function: { activation.value($0) },
                                 derivative: { activation.derivative($0) }, analyticity: activation.analyticity,
                                 kinks: activation.kinks))
    }

    func testCatalogueIsCompleteAndRoundTrips() throws {
        XCTAssertEqual(Set(Activation.catalogue.map(\.name)),
                       Set(Self.catalogue.map { String($0.split(separator: ":")[0]) }))
        for text in Self.catalogue {
            let activation = try Activation(parsing: text)
            XCTAssertEqual(try Activation(parsing: activation.description), activation, text)
        }
        XCTAssertEqual(try Activation(parsing: "selu"), .selu)
        XCTAssertEqual(try Activation(parsing: "Swish"), .silu)
        XCTAssertEqual(try Activation(parsing: "polynomial:1,-2"), .polynomial(coefficients: [1, -2]))
    }

    /// Every catalogue activation against the pair quadrature, symmetric and cross, through two
    /// layers with a bias: the closed forms and series agree to 1e-12 (both sides reach ~1e-14).
    func testEveryActivationAgreesWithQuadrature() throws {
        let x1 = inputs(5, 3, seed: 41), x2 = inputs(3, 3, seed: 42, scale: 1.5)
        for text in Self.catalogue {
            let activation = try Activation(parsing: text)
            let weightStd = text == "exp" ? 0.5 : 1.2
            let exact = KernelRecursion(try Architecture(depth: 2, activation: activation, weightStd: weightStd, biasStd: 0.3))
            let numeric = KernelRecursion(try Architecture(depth: 2, activation: byQuadrature(activation), weightStd: weightStd,
                                                           biasStd: 0.3))
            for (a, b) in [(x1, nil), (x1, Optional(x2))] {
                let k = try exact.kernels(a, b), reference = try numeric.kernels(a, b)
                let error = max(k.nngp.maxRelativeDifference(to: reference.nngp), k.ntk.maxRelativeDifference(to: reference.ntk))
                XCTAssertLessThan(error, 1e-12, "\(text)\(b == nil ? "" : " cross"): \(activation.dualMethod)")
            }
        }
    }

    /// Near-parallel pairs (1 − ρ ≈ 1e-12, one at another norm) and a deep network, where the
    /// Hermite series converges slowest: still within 1e-12 of the quadrature.
    func testSeriesNearParallelAndDeep() throws {
        var rows = inputs(3, 3, seed: 43).rowArrays
        rows.append(rows[0].enumerated().map { $1 * (1 + 1e-6 * Double($0)) })
        rows.append(rows[1].map { 2 * $0 + 1e-7 })
        let x = Matrix(rowArrays: rows)
        for text in ["tanh", "sigmoid", "silu", "elu:1"] {
            let activation = try Activation(parsing: text)
            for (depth, w) in [(2, 1.1), (12, 1.0)] {
                let exact = try KernelRecursion(Architecture(depth: depth, activation: activation, weightStd: w, biasStd: 0.1)).kernels(x)
                let reference = try KernelRecursion(Architecture(depth: depth, activation: byQuadrature(activation),
                                                                 weightStd: w, biasStd: 0.1)).kernels(x)
                let error = max(exact.nngp.maxRelativeDifference(to: reference.nngp),
                                exact.ntk.maxRelativeDifference(to: reference.ntk))
                XCTAssertLessThan(error, 1e-12, "\(text) depth \(depth)")
            }
        }
    }

    /// hermite:n's dual map is ρⁿ for unit variances: one layer on the sphere of radius √d with
    /// σ_w = 1, σ_b = 0 and a unit readout gives 𝒦 = ρⁿ and Θ = ρⁿ + n·ρ^{n−1}·ρ.
    func testHermiteDualIsPowerOfCorrelation() throws {
        let d = 4
        let x = Double(d).squareRoot() * inputs(7, d, seed: 44).normalizingRows()
        for n in [1, 2, 3, 6] {
            let k = try KernelRecursion(Architecture(depth: 1, activation: .hermite(degree: n), weightStd: 1, biasStd: 0,
                                                     readoutWeightStd: 1, readoutBiasStd: 0)).kernels(x)
            for i in 0..<7 {
                for j in 0..<7 {
                    let rho = (0..<d).reduce(0) { $0 + x[i, $1] * x[j, $1] } / Double(d)
                    XCTAssertEqual(k.nngp[i, j], power(rho, n), accuracy: 1e-14, "n = \(n)")
                    XCTAssertEqual(k.ntk[i, j], power(rho, n) + Double(n) * power(rho, n), accuracy: 1e-13, "n = \(n)")
                }
            }
        }
    }

    /// rectified-monomial:1 is ReLU, monomial:1 and hermite:1 are the identity.
    func testDegreeOneMembersAreTheirNamesakes() throws {
        let x = inputs(6, 3, seed: 45)
        for (a, b) in [(Activation.rectifiedMonomial(degree: 1), Activation.relu), (.monomial(degree: 1), .identity),
                       (.hermite(degree: 1), .identity), (.polynomial(coefficients: [0, 1]), .identity)] {
            let ka = try KernelRecursion(Architecture(depth: 3, activation: a, biasStd: 0.2)).kernels(x)
            let kb = try KernelRecursion(Architecture(depth: 3, activation: b, biasStd: 0.2)).kernels(x)
            XCTAssertLessThan(ka.ntk.maxRelativeDifference(to: kb.ntk), 1e-14, "\(a)")
            XCTAssertLessThan(ka.nngp.maxRelativeDifference(to: kb.nngp), 1e-14, "\(a)")
        }
    }

    /// A Gauss–Hermite product rule with m points is exact for polynomials of degree 2m − 1, so
    /// for monomial:n and polynomials it reproduces the exact Hermite form to round-off once
    /// m > n, and not before.
    func testPolynomialsExactUnderGaussHermite() throws {
        let x = inputs(5, 3, seed: 46)
        for (activation, degree) in [(Activation.monomial(degree: 4), 4), (.polynomial(coefficients: [0.3, -1, 0.5, 0.2]), 3),
                                     (.hermite(degree: 5), 5)] {
            let arch = try Architecture(depth: 2, activation: activation, weightStd: 0.8, biasStd: 0.1)
            let exact = try KernelRecursion(arch).kernels(x)
            let wrapped = try Architecture(depth: 2, activation: byQuadrature(activation), weightStd: 0.8, biasStd: 0.1)
            // Layer 2 integrates (degree n)² of a degree-n polynomial of Gaussian inputs: 2n² + 1 points suffice.
            let enough = try KernelRecursion(wrapped, quadrature: .gaussHermite(points: 2 * degree * degree + 2)).kernels(x)
            XCTAssertLessThan(enough.ntk.maxRelativeDifference(to: exact.ntk), 1e-12, "\(activation)")
            let few = try KernelRecursion(wrapped, quadrature: .gaussHermite(points: degree)).kernels(x)
            XCTAssertGreaterThan(few.ntk.maxRelativeDifference(to: exact.ntk), 1e-8, "\(activation)")
        }
    }

    /// A user-supplied dual map is used as given: erf's closed form passed in by hand.
    func testUserSuppliedDualMap() throws {
        let x = inputs(6, 3, seed: 47)
        let custom = CustomActivation(name: "my-erf", function: { Activation.erf.value($0) },
                                      derivative: { Activation.erf.derivative($0) }, dualMap: { q1, q2, s in
            let d = (1 + 2 * q1) * (1 + 2 * q2) - 4 * s * s
            return (2 / Double.pi * Double.asin(2 * s / ((1 + 2 * q1) * (1 + 2 * q2)).squareRoot()), 4 / Double.pi / d.squareRoot())
        })
        let mine = try KernelRecursion(Architecture(depth: 3, activation: .custom(custom), biasStd: 0.2)).kernels(x)
        let erf = try KernelRecursion(Architecture(depth: 3, activation: .erf, biasStd: 0.2)).kernels(x)
        XCTAssertLessThan(mine.ntk.maxRelativeDifference(to: erf.ntk), 1e-13)
    }

    /// The AVX2 series and the portable one agree (FMA contraction aside).
    func testSeriesVectorPathMatchesScalarPath() throws {
        guard ntkb_uses_avx2() != 0 else { throw XCTSkip("this CPU has no AVX2+FMA") }
        defer { ntkb_force_scalar(0) }
        let x = inputs(37, 4, seed: 48)
        for activation in [Activation.tanh, .silu, .hermite(degree: 3)] {
            let arch = try Architecture(depth: 4, activation: activation, biasStd: 0.3)
            ntkb_force_scalar(0)
            let vector = try KernelRecursion(arch).kernels(x)
            ntkb_force_scalar(1)
            let scalar = try KernelRecursion(arch).kernels(x)
            XCTAssertLessThan(vector.ntk.maxRelativeDifference(to: scalar.ntk), 1e-14, "\(activation)")
        }
    }
}

private func power(_ x: Double, _ n: Int) -> Double { (0..<n).reduce(1) { r, _ in r * x } }
