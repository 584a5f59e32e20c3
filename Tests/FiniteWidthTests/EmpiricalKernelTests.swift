import FiniteWidth
import InfiniteWidth
import LinearAlgebra
import XCTest

/// The layer-wise empirical kernels against J·Jᵀ with J materialized from per-point gradients.
///
/// Tolerance: both sides are sums of the same ~P products of O(1) factors in a different order,
/// so they agree to ~P·ε_mach ≈ 1e-13 relative to the largest entry; 1e-12 is the bound.
final class EmpiricalKernelTests: XCTestCase {
    /// 𝒦̂ = σ_w,out²/h·⟨h^L, h^L'⟩ + σ_b,out² in both parameterizations; in NTK parameterization it
    /// is K̂ itself.
    func testEmpiricalNNGP() throws {
        let x = TestNetworks.sphere(7, 4, seed: 11)
        for parameterization in TestNetworks.parameterizations(width: 24) {
            let network = try TestNetworks.network(.erf, parameterization, width: 24, seed: 12)
            let features = try network.features(x)
            let sw = network.architecture.readoutWeightStd, sb = network.architecture.readoutBiasStd
            let expected = (sw * sw / 24) * Matrix.gram(features) + Matrix(rows: 7, columns: 7, repeating: sb * sb)
            XCTAssertLessThan(TestNetworks.relativeError(try network.empiricalNNGP(x), expected), 1e-14, "\(parameterization)")
            if parameterization == .ntk {
                XCTAssertEqual(try network.empiricalNNGP(x), try network.headKernel(x))
            }
        }
    }

    func testLayerwiseKernelsEqualJacobianProducts() throws {
        var worst = 0.0
        for activation in [Activation.relu, .erf, .tanh, .gelu] {
            for parameterization in TestNetworks.parameterizations(width: 9) {
                for (k, unit) in [(1, 0), (3, 2)] {
                    let network = try TestNetworks.network(activation, parameterization, depth: 3, width: 9, outputs: k)
                    let x1 = TestNetworks.gaussian(5, 4, seed: 31), x2 = TestNetworks.gaussian(4, 4, seed: 32)
                    let j1 = try jacobian(network, x1, unit: unit), j2 = try jacobian(network, x2, unit: unit)
                    let head = network.headParameters, body = network.bodyParameters

                    let cross = try network.empiricalKernels(x1, x2, outputIndex: unit)
                    let symmetric = try network.empiricalKernels(x1, outputIndex: unit)
                    let checks: [(String, Matrix, Matrix)] = [
                        ("ntk", cross.ntk, gram(j1, j2)),
                        ("head", cross.head, gram(j1, j2, head)),
                        ("body", cross.body, gram(j1, j2, body)),
                        ("ntk sym", symmetric.ntk, gram(j1, j1)),
                        ("head sym", symmetric.head, gram(j1, j1, head)),
                        ("body sym", symmetric.body, gram(j1, j1, body)),
                        ("headKernel", try network.headKernel(x1, x2), gram(j1, j2, head)),
                        ("empiricalNTK", try network.empiricalNTK(x1, x2, outputIndex: unit), gram(j1, j2)),
                    ]
                    for (name, computed, expected) in checks {
                        let error = computed.maxRelativeDifference(to: expected)
                        worst = max(worst, error)
                        XCTAssertLessThan(error, 1e-12, "\(activation) \(parameterization) k=\(k) \(name)")
                    }
                    XCTAssertEqual(symmetric.ntk.asymmetry, 0, "a symmetric call is exactly symmetric")
                }
            }
        }
        print("FiniteWidth: worst relative difference of layer-wise kernels from J·Jᵀ: \(worst)")
    }

    /// K̂ is the same for every output unit; Θ̂ is not (it depends on W^{L+1}'s row).
    func testHeadKernelIsSharedByTheOutputUnits() throws {
        let network = try TestNetworks.network(.relu, .ntk, outputs: 3)
        let x = TestNetworks.gaussian(6, 4, seed: 33)
        let k0 = try network.empiricalKernels(x, outputIndex: 0), k2 = try network.empiricalKernels(x, outputIndex: 2)
        XCTAssertEqual(k0.head, k2.head)
        XCTAssertGreaterThan(k0.ntk.maxRelativeDifference(to: k2.ntk), 1e-3)
    }

    /// Row i of J: the gradient of output unit `unit` at point i (a VJP with a unit output gradient).
    private func jacobian(_ network: FullyConnectedNetwork, _ x: Matrix, unit: Int) throws -> Matrix {
        let trace = try network.trace(x)
        var rows: [[Double]] = []
        for i in 0..<x.rows {
            var g = Matrix(rows: x.rows, columns: network.outputCount)
            g[i, unit] = 1
            rows.append(network.parameterGradient(outputGradient: g, trace: trace))
        }
        return Matrix(rowArrays: rows)
    }

    /// J1[:, columns]·J2[:, columns]ᵀ.
    private func gram(_ j1: Matrix, _ j2: Matrix, _ columns: Range<Int>? = nil) -> Matrix {
        let c = columns ?? 0..<j1.columns
        return Matrix.product(j1.block(rows: 0..<j1.rows, columns: c), j2.block(rows: 0..<j2.rows, columns: c),
                              transposeB: true)
    }
}
