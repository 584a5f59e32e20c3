import CNumerics
import Foundation
import InfiniteWidth
import LinearAlgebra
import XCTest

/// Properties of the kernels that hold for every input (theory.md §1).
final class KernelPropertyTests: XCTestCase {
    /// The whole catalogue (exp, whose kernels grow like e^{e^{q}}, is tested with smaller σ_w).
    static let activations: [Activation] = [.relu, .leakyReLU(slope: 0.2), .abReLU(negativeSlope: -0.5, positiveSlope: 1.5),
                                            .erf, .gelu, .identity, .tanh, .softplus, .sin, .sigmoid, .silu, .elu(alpha: 0.7),
                                            .selu, .cos, .gaussian, .abs, .sign, .monomial(degree: 3),
                                            .rectifiedMonomial(degree: 0), .rectifiedMonomial(degree: 2), .hermite(degree: 4),
                                            .polynomial(coefficients: [0.2, 1, -0.3])]

    private func randomInputs(_ n: Int, _ d: Int, seed: UInt64, scale: Double = 1) -> Matrix {
        var g = SeededGenerator(seed: seed)
        return Matrix.randomNormal(rows: n, columns: d, standardDeviation: scale, using: &g)
    }

    private func unitSphere(_ n: Int, _ d: Int, seed: UInt64) -> Matrix {
        randomInputs(n, d, seed: seed).normalizingRows()
    }

    /// Every kernel is exactly symmetric and positive semi-definite: smallest eigenvalue
    /// ≥ −1e-10·trace (round-off in a 30×30 eigensolve is ~1e-15·trace).
    func testKernelsAreSymmetricPositiveSemidefinite() throws {
        let x = randomInputs(30, 5, seed: 21)
        for activation in Self.activations {
            let arch = try Architecture(depth: 3, activation: activation, weightStd: 1.3, biasStd: 0.2,
                                        readoutWeightStd: 0.8, readoutBiasStd: 0.1)
            let k = try KernelRecursion(arch).kernels(x)
            for (name, m) in [("nngp", k.nngp), ("ntk", k.ntk), ("head", k.head), ("body", k.body)] {
                XCTAssertEqual(m.asymmetry, 0, "\(activation) \(name)")
                let low = try SymmetricEigendecomposition(m, name: name).smallestEigenvalue
                XCTAssertGreaterThanOrEqual(low, -1e-10 * m.trace, "\(activation) \(name)")
            }
            XCTAssertLessThan((k.ntk - k.head - k.body).maxAbs, 1e-14 * k.ntk.maxAbs, "\(activation): Θ = K + Θ_body")
        }
    }

    /// One ReLU layer: Σ̂(x, x) = q/2 and Σ̇(x, x) = 1/2, so 𝒦(x, x) = q/2 and Θ(x, x) = q
    /// with a unit readout, to round-off.
    func testReLUDiagonalIsHalfTheVariance() throws {
        let x = randomInputs(12, 4, seed: 22, scale: 3)
        let (w, b) = (1.7, 0.4)
        let k = try KernelRecursion(Architecture(depth: 1, activation: .relu, weightStd: w, biasStd: b,
                                                 readoutWeightStd: 1, readoutBiasStd: 0)).kernels(x)
        for i in 0..<12 {
            let q = w * w * (0..<4).reduce(0) { $0 + x[i, $1] * x[i, $1] } / 4 + b * b
            XCTAssertEqual(k.nngp[i, i], q / 2, accuracy: 2e-16 * q)
            XCTAssertEqual(k.ntk[i, i], q, accuracy: 4e-16 * q)
        }
    }

    /// Critical ReLU on the unit sphere: Σ^l(x, x) is the same at every layer, Θ(x, x) = (L+1)·q
    /// grows linearly in L, and K's share of Θ is exactly 1/(L+1).
    func testDeepCriticalReLUStructure() throws {
        let d = 6
        let x = unitSphere(8, d, seed: 23)
        let depths = [1, 2, 3, 5, 8, 16, 32, 64, 128]
        let sweep = try KernelRecursion(Architecture(depth: 1, activation: .relu)).kernels(x, depths: depths)
        let q = 2.0 / Double(d)
        for k in sweep {
            let ell = Double(k.depth)
            for i in 0..<8 {
                XCTAssertEqual(k.nngp[i, i], q, accuracy: 1e-15 * ell * q, "depth \(k.depth)")
                XCTAssertEqual(k.ntk[i, i], (ell + 1) * q, accuracy: 1e-15 * (ell + 1) * ell * q, "depth \(k.depth)")
            }
            XCTAssertEqual(k.headShare, 1 / (ell + 1), accuracy: 1e-15 * ell, "depth \(k.depth)")
        }
    }

    /// K/Θ = 1/(L+1) holds for every positively homogeneous φ with σ_b = 0, whatever σ_w and the
    /// input norms, and fails as soon as there is a bias.
    func testHeadShareIsOneOverDepthPlusOneOnlyWithoutBias() throws {
        let x = randomInputs(6, 3, seed: 24, scale: 2)
        for activation in [Activation.relu, .leakyReLU(slope: 0.3), .abReLU(negativeSlope: -0.4, positiveSlope: 1.1), .identity] {
            for depth in [1, 4, 9] {
                let plain = try KernelRecursion(Architecture(depth: depth, activation: activation, weightStd: 0.9)).kernels(x)
                XCTAssertEqual(plain.headShare, 1 / Double(depth + 1), accuracy: 1e-14, "\(activation) L = \(depth)")
                let biased = try KernelRecursion(Architecture(depth: depth, activation: activation, weightStd: 0.9,
                                                              biasStd: 0.5)).kernels(x)
                XCTAssertGreaterThan(abs(biased.headShare - 1 / Double(depth + 1)), 1e-3, "\(activation) L = \(depth)")
            }
        }
    }

    /// A deep linear network's kernels in closed form: with w = σ_w², v = σ_b², g = x·x',
    /// Σ^l = w^l·g/d + v·(1 + w + … + w^{l−1}), Θ^L = Σ_{l≤L} w^{L−l}·Σ^l, 𝒦 = w_out·Σ^L + v_out,
    /// Θ = 𝒦 + w_out·Θ^L.
    func testIdentityNetworkIsTheLinearKernel() throws {
        let x1 = randomInputs(5, 3, seed: 25), x2 = randomInputs(4, 3, seed: 26)
        let (sw, sb, so, sbo, depth) = (1.2, 0.3, 0.7, 0.2, 4)
        let (w, v, wo, vo) = (sw * sw, sb * sb, so * so, sbo * sbo)
        let k = try KernelRecursion(Architecture(depth: depth, activation: .identity, weightStd: sw, biasStd: sb,
                                                 readoutWeightStd: so, readoutBiasStd: sbo)).kernels(x1, x2)
        for i in 0..<5 {
            for j in 0..<4 {
                let g = (0..<3).reduce(0) { $0 + x1[i, $1] * x2[j, $1] }
                let sigma = (1...depth).map { l in
                    pow(w, Double(l)) * g / 3 + v * (0..<l).reduce(0) { $0 + pow(w, Double($1)) }
                }
                let theta = (1...depth).reduce(0) { $0 + pow(w, Double(depth - $1)) * sigma[$1 - 1] }
                let nngp = wo * sigma[depth - 1] + vo
                XCTAssertEqual(k.nngp[i, j], nngp, accuracy: 1e-14 * abs(nngp) + 1e-15)
                XCTAssertEqual(k.ntk[i, j], nngp + wo * theta, accuracy: 1e-14 * abs(nngp + wo * theta) + 1e-15)
            }
        }
    }

    /// The quadrature path reproduces the closed forms to 1e-10 (it reaches ~1e-14), including
    /// large pre-activation variances, where the trapezoid step must shrink.
    func testQuadratureMatchesClosedForms() throws {
        for scale in [1.0, 4.0] {
            let x = randomInputs(10, 4, seed: 27, scale: scale)
            for activation in [Activation.erf, .gelu, .identity] {
                let wrapped = CustomActivation(name: "\(activation) by quadrature", function: { activation.value($0) },
                                               derivative: { activation.derivative($0) },
                                               analyticity: activation.analyticity)
                let closed = try KernelRecursion(Architecture(depth: 3, activation: activation, weightStd: 1.4, biasStd: 0.3)).kernels(x)
                let numeric = try KernelRecursion(Architecture(depth: 3, activation: .custom(wrapped), weightStd: 1.4,
                                                               biasStd: 0.3)).kernels(x)
                XCTAssertLessThan(numeric.nngp.maxRelativeDifference(to: closed.nngp), 1e-10, "\(activation) ×\(scale)")
                XCTAssertLessThan(numeric.ntk.maxRelativeDifference(to: closed.ntk), 1e-10, "\(activation) ×\(scale)")
            }
        }
    }

    /// sin has closed-form maps the toolkit does not use (it integrates sin numerically):
    /// E[sin u sin v] = e^{−(q+q')/2}·sinh Σ and E[cos u cos v] = e^{−(q+q')/2}·cosh Σ.
    func testSinQuadratureMatchesItsClosedForm() throws {
        let x = randomInputs(7, 3, seed: 32, scale: 1.5)
        let (sw, sb) = (1.2, 0.4)
        let k = try KernelRecursion(Architecture(depth: 1, activation: .sin, weightStd: sw, biasStd: sb,
                                                 readoutWeightStd: 1, readoutBiasStd: 0)).kernels(x)
        func sigma1(_ i: Int, _ j: Int) -> Double { sw * sw * (0..<3).reduce(0) { $0 + x[i, $1] * x[j, $1] } / 3 + sb * sb }
        for i in 0..<7 {
            for j in 0..<7 {
                let damping = Double.exp(-(sigma1(i, i) + sigma1(j, j)) / 2)
                let hat = damping * Double.sinh(sigma1(i, j)), dot = damping * Double.cosh(sigma1(i, j))
                XCTAssertEqual(k.nngp[i, j], hat, accuracy: 1e-14)
                XCTAssertEqual(k.ntk[i, j], hat + dot * sigma1(i, j), accuracy: 1e-14)
            }
        }
    }

    /// A depth sweep gives bit for bit what separate computations give.
    func testDepthSweepEqualsPerDepthRecomputation() throws {
        let x = randomInputs(9, 4, seed: 28)
        for activation in [Activation.relu, .erf, .tanh] {
            let arch = try Architecture(depth: 1, activation: activation, weightStd: 1.3, biasStd: 0.1)
            let sweep = try KernelRecursion(arch).kernels(x, depths: [16, 1, 4, 2])
            XCTAssertEqual(sweep.map(\.depth), [16, 1, 4, 2])
            for k in sweep {
                let single = try KernelRecursion(arch.withDepth(k.depth)).kernels(x)
                XCTAssertEqual(k.ntk, single.ntk, "\(activation) depth \(k.depth)")
                XCTAssertEqual(k.nngp, single.nngp, "\(activation) depth \(k.depth)")
                XCTAssertEqual(k.body, single.body, "\(activation) depth \(k.depth)")
            }
        }
    }

    /// X2 = X1 given explicitly agrees with the symmetric call, the diagonal included: identical
    /// points in the two sets get det = 0 and θ = 0 exactly.
    func testCrossCallAgreesWithSymmetricCall() throws {
        let x = randomInputs(11, 3, seed: 29)
        for activation in [Activation.relu, .erf, .gelu, .leakyReLU(slope: 0.1)] {
            let arch = try Architecture(depth: 5, activation: activation, biasStd: 0.2)
            let symmetric = try KernelRecursion(arch).kernels(x)
            let cross = try KernelRecursion(arch).kernels(x, x)
            XCTAssertLessThan(cross.ntk.maxRelativeDifference(to: symmetric.ntk), 1e-14, "\(activation)")
            XCTAssertLessThan(cross.nngp.maxRelativeDifference(to: symmetric.nngp), 1e-14, "\(activation)")
        }
    }

    /// Exactly parallel and antipodal pairs: θ = 0 gives Σ̂ = √(q q')/2, θ = π gives Σ̂ = Σ̇ = 0,
    /// to round-off, in a cross call where no diagonal shortcut applies.
    func testParallelAndAntipodalPairsAreExact() throws {
        let x = Matrix(rowArrays: [[0.3, -1.1, 0.7]])
        let y = Matrix(rowArrays: [[0.6, -2.2, 1.4], [-0.3, 1.1, -0.7]])
        let k = try KernelRecursion(Architecture(depth: 1, activation: .relu, readoutWeightStd: 1)).kernels(x, y)
        let q = 2 * (0.09 + 1.21 + 0.49) / 3
        XCTAssertEqual(k.nngp[0, 0], (q * 4 * q).squareRoot() / 2, accuracy: 5e-16 * q)
        XCTAssertEqual(k.nngp[0, 1], 0)
        XCTAssertEqual(k.body[0, 1], 0)
    }

    /// The AVX2 paths compute the same formulas as the portable scalar paths (to a few ulp: the
    /// vector atan2 differs from libm's in the last bits).
    func testVectorPathsMatchScalarPaths() throws {
        guard ntkb_uses_avx2() != 0 else { throw XCTSkip("this CPU has no AVX2+FMA") }
        let x = randomInputs(23, 4, seed: 30)
        defer { ntkb_force_scalar(0) }
        // Bias-free ReLU reads out through the angular tables: vector paths with the permuted
        // coefficients and the vector angle, the scalar path with table lookups and atan2.
        let biasFree = try Architecture(depth: 5, activation: .relu)
        XCTAssertTrue(KernelRecursion(biasFree).readsOutFromAngles(inputDimension: 4, depths: [5]))
        let cases = try [Activation.relu, .abReLU(negativeSlope: -0.5, positiveSlope: 1.5), .erf, .gelu].map {
            (try Architecture(depth: 6, activation: $0, biasStd: 0.3), "\($0)")
        } + [(biasFree, "angular tables")]
        for (arch, label) in cases {
            ntkb_force_scalar(0)
            let vector = try KernelRecursion(arch).kernels(x)
            ntkb_force_scalar(1)
            let scalar = try KernelRecursion(arch).kernels(x)
            XCTAssertLessThan(vector.ntk.maxRelativeDifference(to: scalar.ntk), 1e-14, label)
            XCTAssertLessThan(vector.nngp.maxRelativeDifference(to: scalar.nngp), 1e-14, label)
            XCTAssertLessThan(vector.body.maxRelativeDifference(to: scalar.body), 1e-14, label)
        }
        // The convolutional ReLU map: the vector paths take the angle from the half angle, the
        // scalar path from atan2.
        let conv = try Convolution(filterHeight: 3, filterWidth: 3, imageHeight: 4, imageWidth: 5, channels: 1)
        let cnn = try Architecture(depth: 3, activation: .relu, biasStd: 0.2, convolution: conv)
        let images = randomInputs(17, 20, seed: 36)
        ntkb_force_scalar(0)
        let vector = try KernelRecursion(cnn).kernels(images)
        ntkb_force_scalar(1)
        let scalar = try KernelRecursion(cnn).kernels(images)
        XCTAssertLessThan(vector.ntk.maxRelativeDifference(to: scalar.ntk), 1e-14, "conv ReLU")
        XCTAssertLessThan(vector.nngp.maxRelativeDifference(to: scalar.nngp), 1e-14, "conv ReLU")
    }

    /// The fully connected AVX-512 paths perform the AVX2 paths' operations lane for lane: the
    /// kernels are the same bits (which keeps row blocks bit-identical whichever vector width
    /// computes a column), for segment lengths that leave 8-, 4- and 1-wide tails.
    func testWideVectorPathsGiveTheNarrowPathsBits() throws {
        guard ntkb_uses_avx512() != 0 else { throw XCTSkip("this CPU has no AVX-512") }
        defer { ntkb_limit_vector_width(0) }
        let cases: [(Architecture, Matrix)] = [
            (try Architecture(depth: 4, activation: .relu, biasStd: 0.3), randomInputs(29, 4, seed: 32)),
            (try Architecture(depth: 3, activation: .abReLU(negativeSlope: -0.5, positiveSlope: 1.5), biasStd: 0.2),
             randomInputs(23, 3, seed: 33)),
            // Bias-free: the angular tables.
            (try Architecture(depth: 4, activation: .relu), randomInputs(31, 4, seed: 37)),
        ]
        for (architecture, x) in cases {
            let (wide, narrow) = try Self.wideAndNarrow(architecture, x)
            for (a, b) in [(wide.nngp, narrow.nngp), (wide.ntk, narrow.ntk), (wide.body, narrow.body)] {
                XCTAssertEqual(a.elements.map(\.bitPattern), b.elements.map(\.bitPattern), "\(architecture.activation)")
            }
        }
    }

    /// The convolutional ABReLU map has its own AVX-512 form (the angle's reduction interval
    /// chosen by arithmetic, every lane of a tile on the wide path, tails masked): it agrees with
    /// the AVX2 form to a few ulp, and on the wide path a pair's value does not depend on its
    /// lane — blocks computed alone, whose columns sit in other lanes and tails, are the whole
    /// kernel's bits.
    func testConvolutionalWidePathAgreesWithNarrowAndIsLaneIndependent() throws {
        guard ntkb_uses_avx512() != 0 else { throw XCTSkip("this CPU has no AVX-512") }
        defer { ntkb_limit_vector_width(0) }
        let conv = try Convolution(filterHeight: 3, filterWidth: 3, imageHeight: 5, imageWidth: 4, channels: 2,
                                   padding: .same, readout: .flatten)
        let pooled = try Convolution(filterHeight: 5, filterWidth: 5, imageHeight: 6, imageWidth: 5, channels: 1,
                                     padding: .circular, readout: .globalAveragePool)
        let cases: [(Architecture, Matrix)] = [
            (try Architecture(depth: 2, activation: .relu, biasStd: 0.1, convolution: conv), randomInputs(13, 40, seed: 34)),
            (try Architecture(depth: 3, activation: .relu, convolution: conv), randomInputs(19, 40, seed: 38)),
            (try Architecture(depth: 2, activation: .leakyReLU(slope: 0.1), biasStd: 0.2, convolution: pooled),
             randomInputs(11, 30, seed: 35)),
        ]
        for (architecture, x) in cases {
            let label = "\(architecture.activation), \(architecture.convolution!.readout)"
            let (wide, narrow) = try Self.wideAndNarrow(architecture, x)
            for (a, b) in [(wide.nngp, narrow.nngp), (wide.ntk, narrow.ntk), (wide.body, narrow.body)] {
                XCTAssertLessThan(a.maxRelativeDifference(to: b), 1e-14, label)
            }
            let recursion = KernelRecursion(architecture)
            let whole = try recursion.kernels(x.rows(2..<5), x)
            for range in [3..<x.rows, 1..<(x.rows - 2), 5..<6] {
                let alone = try recursion.kernels(x.rows(2..<5), x.rows(range))
                XCTAssertEqual(alone.ntk.elements.map(\.bitPattern),
                               whole.ntk.block(rows: 0..<3, columns: range).elements.map(\.bitPattern), label)
                XCTAssertEqual(alone.nngp.elements.map(\.bitPattern),
                               whole.nngp.block(rows: 0..<3, columns: range).elements.map(\.bitPattern), label)
            }
        }
    }

    private static func wideAndNarrow(_ architecture: Architecture, _ x: Matrix) throws
        -> (wide: NetworkKernels, narrow: NetworkKernels) {
        ntkb_limit_vector_width(0)
        let wide = try KernelRecursion(architecture).kernels(x)
        ntkb_limit_vector_width(1)
        let narrow = try KernelRecursion(architecture).kernels(x)
        ntkb_limit_vector_width(0)
        return (wide, narrow)
    }

    /// Standard parameterization: the forward pass, hence 𝒦, is the NTK parameterization's; the
    /// tangent kernels count raw parameters: for one identity layer of width h,
    /// K = h·Σ¹ + 1, Θ_body = w_out·(x·x' + 1).
    func testStandardParameterization() throws {
        let x = randomInputs(6, 3, seed: 31)
        let (h, sw, sb, so) = (64, 1.1, 0.3, 0.9)
        let standard = try KernelRecursion(Architecture(depth: 1, activation: .identity, weightStd: sw, biasStd: sb,
                                                        readoutWeightStd: so, parameterization: .standard(hiddenWidth: h))).kernels(x)
        let ntk = try KernelRecursion(Architecture(depth: 1, activation: .identity, weightStd: sw, biasStd: sb,
                                                   readoutWeightStd: so)).kernels(x)
        XCTAssertEqual(standard.nngp, ntk.nngp)
        for i in 0..<6 {
            for j in 0..<6 {
                let g = (0..<3).reduce(0) { $0 + x[i, $1] * x[j, $1] }
                let sigma1 = sw * sw * g / 3 + sb * sb
                XCTAssertEqual(standard.head[i, j], Double(h) * sigma1 + 1, accuracy: 1e-13 * Double(h))
                XCTAssertEqual(standard.body[i, j], so * so * (g + 1), accuracy: 1e-14)
            }
        }
    }
}
