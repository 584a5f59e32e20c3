import Foundation
import InfiniteWidth
import LinearAlgebra
import TestSupport
import XCTest

/// One case of Tests/Fixtures/nt-crosscheck (written by Tests/Reference/nt_crosscheck.py from
/// Neural Tangents 0.6.5 in float64): a fully connected or convolutional network, any catalogue
/// activation, with the four kernels Neural Tangents computes for it.
struct CrossCheckCase: Decodable {
    struct Conv: Decodable {
        let filter: [Int]
        let image: [Int]
        let padding: String
        let readout: String
    }
    struct Config: Decodable {
        let depth: Int
        let activation: String
        let w_std: Double
        let b_std: Double
        let out_w_std: Double
        let out_b_std: Double
        let conv: Conv?
    }
    struct Inputs: Decodable {
        let x1: [[Double]]
        let x2: [[Double]]?
    }
    let name: String
    let description: String
    let tolerance: Double
    let config: Config
    let inputs: Inputs
    let expected: [String: [[Double]]]

    static func all() throws -> [CrossCheckCase] {
        try Fixtures.files(in: "nt-crosscheck").map { try JSONDecoder().decode(Self.self, from: Data(contentsOf: $0)) }
    }

    func architecture() throws -> Architecture {
        let convolution = try config.conv.map { c in
            try Convolution(filterHeight: c.filter[0], filterWidth: c.filter[1], imageHeight: c.image[0],
                            imageWidth: c.image[1], channels: c.image[2],
                            padding: XCTUnwrap(Convolution.Padding(rawValue: c.padding)),
                            readout: XCTUnwrap(Convolution.Readout(rawValue: c.readout)))
        }
        return try Architecture(depth: config.depth, activation: Activation(parsing: config.activation),
                                weightStd: config.w_std, biasStd: config.b_std, readoutWeightStd: config.out_w_std,
                                readoutBiasStd: config.out_b_std, convolution: convolution)
    }
}

final class NeuralTangentsCrossCheckTests: XCTestCase {
    /// Every fixture within its tolerance, per matrix max|ours − NT|/max|NT|: 1e-9, and 1e-6 for
    /// the angle-based activations (ReLU family, sign, rectified monomials), whose Neural Tangents
    /// kernels compute the angle of a point with itself from rounded products.
    func testNeuralTangentsCrossCheckCases() throws {
        let cases = try CrossCheckCase.all()
        XCTAssertGreaterThanOrEqual(cases.count, 30, "Tests/Fixtures/nt-crosscheck is missing cases")
        var worst = 0.0
        for c in cases {
            let x2 = c.inputs.x2.map(Matrix.init(rowArrays:))
            let kernels = try KernelRecursion(c.architecture()).kernels(Matrix(rowArrays: c.inputs.x1), x2)
            for (kind, matrix) in [("nngp", kernels.nngp), ("ntk", kernels.ntk), ("head", kernels.head), ("body", kernels.body)] {
                let expected = Matrix(rowArrays: try XCTUnwrap(c.expected[kind], "\(c.name) has no \(kind)"))
                XCTAssertEqual(matrix.rows, expected.rows, "\(c.name) \(kind)")
                XCTAssertEqual(matrix.columns, expected.columns, "\(c.name) \(kind)")
                let error = matrix.maxRelativeDifference(to: expected)
                XCTAssertLessThanOrEqual(error, c.tolerance, "\(c.name) \(kind): \(c.description)")
                if c.tolerance < 1e-6 { worst = max(worst, error) }
            }
        }
        print("nt-crosscheck: \(cases.count) cases, largest error on the 1e-9 cases \(worst)")
    }

    /// ELU and SELU on nearly parallel pairs, where φ′'s jump at 0 makes the pair quadrature's
    /// inner integral a step of width ~√(1 − ρ²) in z₁ (1.6e-6 relative error in the NTK at
    /// 1 − ρ = 7.6e-10 before the outer rule was graded towards it). Expected values: 40-digit
    /// mpmath, conditioning on u (v | u is normal, so E[φ(v)|u] and E[φ′(v)|u] have closed
    /// forms) and integrating over u on pieces graded towards 0, from the float64 inputs below
    /// (fully connected, depth 1, σ_w = 1.1342, σ_b = 0.5459, readout 1, 0: nngp = Σ̂,
    /// ntk = Σ̂ + Σ̇·Σ¹).
    func testELUAndSELUOnNearlyParallelPairs() throws {
        let x = Matrix(rowArrays: [[1.0], [1.0001], [1.000001]])
        let cases: [(Activation, [(Double, Double)])] = [
            (.selu, [(1.4339415397136182, 2.9968754112059277), (1.433851057789091, 2.9966865595053953)]),
            (.elu(alpha: 0.7), [(0.8809370349208542, 1.7823230151327638), (0.8808701578971111, 1.7821881149712535)]),
        ]
        for (activation, expected) in cases {
            let kernels = try KernelRecursion(Architecture(depth: 1, activation: activation, weightStd: 1.1342, biasStd: 0.5459,
                                                           readoutWeightStd: 1, readoutBiasStd: 0)).kernels(x, nil)
            // 1 − ρ = 7.6e-10 and 7.6e-14: θ ~ √(2(1 − ρ)) computed from a rounded ρ carries
            // ~1e-16/θ, i.e. 3e-12 and 3e-10 relative in the jump's share of Σ̇.
            let pairs: [(column: Int, values: (Double, Double), tolerance: Double)] = [(1, expected[0], 1e-12), (2, expected[1], 1e-10)]
            for (column, (nngp, ntk), tolerance) in pairs {
                XCTAssertEqual(kernels.nngp[0, column], nngp, accuracy: 1e-14 * nngp, "\(activation) nngp, pair \(column)")
                XCTAssertEqual(kernels.ntk[0, column], ntk, accuracy: tolerance * ntk, "\(activation) ntk, pair \(column)")
            }
        }
    }

    /// A filter larger than the image is a valid network (Neural Tangents accepts it too, and the
    /// fixtures include such cases): taps that leave the image see zeros under SAME padding. On a
    /// 1×1 image only the centre tap is live, weighted 1/K² by the tap average, so a K×K network
    /// with σ_w equals a 1×1 network with σ_w/K.
    func testFilterLargerThanTheImageIsTheCentreTapUnderSamePadding() throws {
        let x = Matrix(rowArrays: [[0.3, -1.2], [1.1, 0.4], [-0.7, 0.9]])
        func kernels(_ k: Int, _ weightStd: Double) throws -> NetworkKernels {
            let convolution = try Convolution(filterHeight: k, filterWidth: k, imageHeight: 1, imageWidth: 1, channels: 2,
                                              padding: .same, readout: .flatten)
            return try KernelRecursion(Architecture(depth: 3, activation: .erf, weightStd: weightStd, biasStd: 0.3,
                                                    readoutWeightStd: 1.1, readoutBiasStd: 0.2,
                                                    convolution: convolution)).kernels(x, nil)
        }
        // One live tap out of K² averaged: σ_w² becomes σ_w²/K² in every convolution.
        let big = try kernels(7, 1.4), small = try kernels(1, 1.4 / 7)
        XCTAssertLessThanOrEqual(big.nngp.maxRelativeDifference(to: small.nngp), 1e-14)
        XCTAssertLessThanOrEqual(big.ntk.maxRelativeDifference(to: small.ntk), 1e-14)
    }
}
