import FiniteWidth
import InfiniteWidth
import LinearAlgebra
import XCTest

/// The ANIL identity of theory.md §3 at finite width: the head is linear in its parameters, so
/// τ gradient-descent steps of rate λ on the head alone, on ½‖f(X') − Y'‖², change the outputs
/// on any X by exactly
///
///     Δf(X) = −K̂(X, X')·T·(f(X') − Y'),   T = U diag((1 − (1 − λs)^τ)/s) Uᵀ,   K̂(X', X') = U diag(s) Uᵀ.
final class HeadAdaptationTests: XCTestCase {
    /// Tolerance: τ steps accumulate round-off ~τ·ε_mach·cond relative; the eigensolve adds
    /// ~n'·ε_mach. 1e-10 is far above both and far below the O(1) error of any wrong factor
    /// (a rate, a missing β², a mean instead of a sum).
    func testHeadGradientDescentIsTheKernelAdaptationOperator() throws {
        var worst = 0.0
        for (activation, parameterization) in [(Activation.relu, Parameterization.ntk), (.erf, .ntk),
                                               (.tanh, .standard(hiddenWidth: 16))] {
            for k in [1, 2] {
                let network = try TestNetworks.network(activation, parameterization, width: 16, outputs: k)
                let support = TestNetworks.gaussian(6, 4, seed: 41), labels = TestNetworks.gaussian(6, k, seed: 42)
                let query = TestNetworks.gaussian(5, 4, seed: 43)
                let eigen = try SymmetricEigendecomposition(network.headKernel(support), name: "K̂(X', X')")
                let (rate, steps) = (0.5 / eigen.largestEigenvalue, 12)

                var adapted = network
                for _ in 0..<steps {
                    let gradient = try adapted.lossGradient(support, targets: labels).gradient
                    for i in network.headParameters { adapted.parameters[i] -= rate * gradient[i] }
                }
                XCTAssertEqual(Array(adapted.parameters[network.bodyParameters]),
                               Array(network.parameters[network.bodyParameters]), "the body is not adapted")
                let change = try adapted.outputs(query) - network.outputs(query)

                // t(s) = λ·Σ_{j<τ}(1 − λs)^j = (1 − (1 − λs)^τ)/s, summed so that s → 0 is exact.
                let t = eigen.spectralFunction { s in (0..<steps).reduce(0) { acc, j in acc + rate * pow(1 - rate * s, Double(j)) } }
                let residual = try network.outputs(support) - labels
                let predicted = try -1 * Matrix.product(network.headKernel(query, support), Matrix.product(t, residual))
                let error = TestNetworks.relativeError(change, predicted)
                worst = max(worst, error)
                XCTAssertLessThan(error, 1e-10, "\(activation) \(parameterization) k=\(k)")
                XCTAssertGreaterThan(predicted.frobeniusNorm, 1e-2, "the adaptation must move the outputs")
            }
        }
        print("FiniteWidth: worst relative error of the head-adaptation identity: \(worst)")
    }
}
