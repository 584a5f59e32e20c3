import FiniteWidth
import InfiniteWidth
import LinearAlgebra
import XCTest

/// Pearlmutter Hessian-vector products against central differences of the exact gradient, and
/// the symmetry of the Hessian.
///
/// Tolerance: the fourth-order central difference of the gradient along w (ε = 1e-5) has
/// negligible truncation error and round-off ≈ 1.5e-11·‖∇ℓ‖, ~1e-10 relative to ‖Hw‖, far
/// below 1e-6. A missing term of the R-backward pass (the φ'' term, a G·V term, a Dᵀ·R{H} term)
/// is an O(1e-2–1) error. For ReLU the loss is piecewise smooth (φ'' = 0 a.e.), and a kink is
/// crossed with the same ~2e-3 chance per direction as in `GradientTests`; the seeds are fixed
/// and none is.
final class HessianVectorProductTests: XCTestCase {
    static let epsilon = 1e-5

    func testHessianVectorProductMatchesDifferencesOfTheGradient() throws {
        var worst = 0.0
        for activation in TestNetworks.hessianActivations {
            for parameterization in TestNetworks.parameterizations(width: 10) {
                for k in [1, 2] {
                    let network = try TestNetworks.network(activation, parameterization, width: 10, outputs: k)
                    let x = TestNetworks.gaussian(5, 4, seed: 21)
                    let y = TestNetworks.gaussian(5, k, seed: 22)
                    let w = TestNetworks.direction(for: network, seed: 23)
                    let hw = try network.hessianVectorProduct(x, targets: y, direction: w)
                    let difference = try TestNetworks.centralDifference(at: network.parameters, along: w,
                                                                        step: Self.epsilon) { theta in
                        try TestNetworks.with(network, parameters: theta).lossGradient(x, targets: y).gradient
                    }
                    let error = TestNetworks.relativeError(hw, difference)
                    worst = max(worst, error)
                    XCTAssertLessThan(error, 1e-6, "\(activation) \(parameterization) k=\(k)")
                }
            }
        }
        print("FiniteWidth: worst relative HVP error vs central differences of the gradient: \(worst)")
    }

    /// vᵀ(Hw) = wᵀ(Hv) to round-off: both are sums of ~P products whose terms are O(‖v‖‖Hw‖/√P),
    /// so their difference is ~1e-15·‖v‖·‖Hw‖; 1e-12 of that scale is the bound.
    func testHessianIsSymmetric() throws {
        var worst = 0.0
        for activation in TestNetworks.hessianActivations {
            for parameterization in TestNetworks.parameterizations(width: 10) {
                let network = try TestNetworks.network(activation, parameterization, depth: 3, width: 10, outputs: 2)
                let x = TestNetworks.gaussian(6, 4, seed: 24)
                let y = TestNetworks.gaussian(6, 2, seed: 25)
                let v = TestNetworks.direction(for: network, seed: 26)
                let w = TestNetworks.direction(for: network, seed: 27)
                let hv = try network.hessianVectorProduct(x, targets: y, direction: v)
                let hw = try network.hessianVectorProduct(x, targets: y, direction: w)
                let scale = TestNetworks.norm(v) * TestNetworks.norm(hw)
                let asymmetry = abs(TestNetworks.dot(v, hw) - TestNetworks.dot(w, hv)) / scale
                worst = max(worst, asymmetry)
                XCTAssertLessThan(asymmetry, 1e-12, "\(activation) \(parameterization)")
            }
        }
        print("FiniteWidth: worst HVP asymmetry |vᵀHw − wᵀHv|/(‖v‖‖Hw‖): \(worst)")
    }

    /// At a zero residual (Y = f(X)) every term of H·v that carries G vanishes, so H·v is the
    /// Gauss–Newton product Jᵀ(J·v), built here from the separate JVP and VJP. The two routes
    /// run the same GEMMs on the same operands apart from the exact zeros, so 1e-14 is round-off.
    func testHessianAtZeroResidualIsGaussNewton() throws {
        for activation in [Activation.tanh, .relu, .gelu] {
            let network = try TestNetworks.network(activation, .ntk, width: 10, outputs: 2)
            let x = TestNetworks.gaussian(5, 4, seed: 28)
            let y = try network.outputs(x)
            let v = TestNetworks.direction(for: network, seed: 29)
            let hv = try network.hessianVectorProduct(x, targets: y, direction: v)
            let jv = try network.jacobianVectorProduct(x, direction: v)
            let gaussNewton = network.parameterGradient(outputGradient: jv, trace: try network.trace(x))
            // Same GEMMs in the same order except the residual terms, which are exactly zero.
            XCTAssertLessThan(TestNetworks.relativeError(hv, gaussNewton), 1e-14, "\(activation)")
        }
    }
}
