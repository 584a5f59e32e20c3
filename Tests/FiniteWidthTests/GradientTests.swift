import FiniteWidth
import InfiniteWidth
import LinearAlgebra
import XCTest

/// The exact gradient of ½‖f(X) − Y‖² against central finite differences.
///
/// Tolerance: the fourth-order central difference along v (`TestNetworks.centralDifference`,
/// ε = 1e-5, directions scaled like the parameters) has negligible truncation error and
/// round-off ≈ 1.5e-11·|ℓ|. Even for the directions with the smallest |gᵀv| (~1e-3·|ℓ|) that is
/// below 1e-7 relative, so 1e-6 holds with margin and still catches any wrong factor (a missing
/// a_l, β_l or φ' is an O(1) error). (The plain two-point difference reaches 1.6e-7 here, from
/// its ε²·ℓ''' truncation on a direction with small gᵀv.)
///
/// ReLU-type kinks: along θ + tv, |t| ≤ 2ε, a pre-activation z moves by ≲ 2ε·|R{z}| ≈ 2e-5, so a
/// kink is crossed only if some |z| < 2e-5 among the n·h·L = 120 units (probability ~2e-3 per
/// direction). The seeds are fixed, so a crossing would show up as a reproducible O(1) failure,
/// not as flakiness; none occurs with these seeds.
final class GradientTests: XCTestCase {
    static let epsilon = 1e-5
    static let tolerance = 1e-6

    /// Every activation, both parameterizations, k = 1 and k = 3: a direction in all parameters,
    /// and one in each layer's weights alone and biases alone (so that a wrong block cannot hide
    /// behind the others).
    func testGradientMatchesCentralDifferences() throws {
        var worst = 0.0
        for activation in TestNetworks.differentiableActivations {
            for parameterization in TestNetworks.parameterizations(width: 12) {
                for k in [1, 3] {
                    let network = try TestNetworks.network(activation, parameterization, outputs: k)
                    let x = TestNetworks.gaussian(5, 4, seed: 11)
                    let y = TestNetworks.gaussian(5, k, seed: 12)
                    let gradient = try network.lossGradient(x, targets: y).gradient
                    let blocks = [0..<network.parameterCount] + network.layers.flatMap { [$0.weights, $0.biases] }
                    for (b, block) in blocks.enumerated() {
                        let v = TestNetworks.direction(for: network, seed: 100 + UInt64(b), positions: block)
                        let exact = TestNetworks.dot(gradient, v)
                        let difference = try centralDifference(network, x, y, v)
                        let error = abs(difference - exact) / abs(exact)
                        worst = max(worst, error)
                        XCTAssertLessThan(error, Self.tolerance, "\(activation) \(parameterization) k=\(k) block \(block)")
                    }
                }
            }
        }
        print("FiniteWidth: worst relative gradient error vs central differences: \(worst)")
    }

    /// The loss the gradient comes with is ½‖f(X) − Y‖², a sum.
    func testLossIsHalfTheSumOfSquares() throws {
        let network = try TestNetworks.network(.tanh, .ntk, outputs: 2)
        let x = TestNetworks.gaussian(6, 4, seed: 13), y = TestNetworks.gaussian(6, 2, seed: 14)
        let f = try network.outputs(x)
        let expected = 0.5 * (f - y).elements.reduce(0) { $0 + $1 * $1 }
        XCTAssertEqual(try network.lossGradient(x, targets: y).loss, expected, accuracy: 1e-15 * expected)
        XCTAssertEqual(try network.loss(x, targets: y), expected, accuracy: 1e-15 * expected)
    }

    /// J·v from the forward R-pass equals the central difference of the outputs, and
    /// ⟨G, J·v⟩ = ⟨Jᵀ·G, v⟩ (the forward and reverse passes are adjoint) to round-off.
    func testJacobianVectorProductMatchesDifferencesAndIsAdjointToTheGradient() throws {
        for activation in [Activation.relu, .erf, .softplus] {
            for parameterization in TestNetworks.parameterizations(width: 12) {
                let network = try TestNetworks.network(activation, parameterization, depth: 3, outputs: 2)
                let x = TestNetworks.gaussian(5, 4, seed: 15)
                let v = TestNetworks.direction(for: network, seed: 16)
                let jv = try network.jacobianVectorProduct(x, direction: v)
                let difference = try Matrix(rows: 5, columns: 2, elements: TestNetworks.centralDifference(
                    at: network.parameters, along: v, step: Self.epsilon) { theta in
                    try TestNetworks.with(network, parameters: theta).outputs(x).elements
                })
                XCTAssertLessThan(TestNetworks.relativeError(jv, difference), Self.tolerance, "\(activation) \(parameterization)")

                let g = TestNetworks.gaussian(5, 2, seed: 17)
                let jtg = network.parameterGradient(outputGradient: g, trace: try network.trace(x))
                let lhs = zip(g.elements, jv.elements).reduce(0) { $0 + $1.0 * $1.1 }
                // Two sums of ~P products of O(1) terms: round-off ~1e-15 relative.
                XCTAssertEqual(lhs, TestNetworks.dot(jtg, v), accuracy: 1e-12 * abs(lhs), "\(activation) \(parameterization)")
            }
        }
    }

    /// dℓ(θ + tv)/dt at t = 0 by the fourth-order central difference.
    private func centralDifference(_ network: FullyConnectedNetwork, _ x: Matrix, _ y: Matrix, _ v: [Double]) throws -> Double {
        try TestNetworks.centralDifference(at: network.parameters, along: v, step: Self.epsilon) { theta in
            [try TestNetworks.with(network, parameters: theta).loss(x, targets: y)]
        }[0]
    }
}
