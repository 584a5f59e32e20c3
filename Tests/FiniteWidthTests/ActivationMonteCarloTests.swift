import FiniteWidth
import InfiniteWidth
import LinearAlgebra
import Paradigms
import XCTest

/// Monte Carlo of finite networks for activations whose kernel maps are new in the catalogue
/// (closed forms and Hermite series): the empirical head kernel K̂ and NTK Θ̂ of random networks
/// approach `KernelRecursion`'s K and Θ as the width grows (theory.md §7).
///
/// Set-up: depth 2, σ_w = 1.3, σ_b = 0.2, 8 points on the unit sphere in 4 dimensions, widths 64
/// and 1024 (16× apart), seeds 1 … 6; the statistic is the median over seeds of the relative
/// Frobenius error. With an O(1/√h) error the median falls about 4× from h = 64 to h = 1024. A
/// wrong kernel map leaves an error floor instead: the test asks for a fall of at least 2.2×
/// (measured 2.8–5.1×) and an error below 0.12 at h = 1024 (measured 0.01–0.10), or below 0.3 for
/// max(0, x)², whose heavy fourth moments make the O(1/√h) constant about 7 (measured 0.21–0.23).
/// The seeds are fixed, so the figures are reproducible to round-off.
final class ActivationMonteCarloTests: XCTestCase {
    static let activations = ["tanh", "sigmoid", "silu", "softplus", "elu:1", "sin", "cos", "gaussian",
                              "rectified-monomial:2", "hermite:3"]
    static let inputs = TestNetworks.sphere(8, 4, seed: 83)

    func testEmpiricalKernelsApproachTheCatalogueKernels() throws {
        for name in Self.activations {
            let architecture = try Architecture(depth: 2, activation: Activation(parsing: name), weightStd: 1.3, biasStd: 0.2)
            let analytic = try KernelRecursion(architecture).kernels(Self.inputs)
            let narrow = try medianErrors(architecture, analytic, width: 64)
            let wide = try medianErrors(architecture, analytic, width: 1024)
            print("FiniteWidth: \(name): median relative error h=64 Θ̂ \(narrow.ntk) K̂ \(narrow.head); "
                  + "h=1024 Θ̂ \(wide.ntk) K̂ \(wide.head)")
            for (kernel, small, large) in [("Θ̂", narrow.ntk, wide.ntk), ("K̂", narrow.head, wide.head)] {
                XCTAssertLessThan(large, name == "rectified-monomial:2" ? 0.3 : 0.12, "\(name) \(kernel) at h = 1024")
                XCTAssertGreaterThan(small / large, 2.2, "\(name) \(kernel): error falls \(small / large)× over 16× width")
            }
        }
    }

    /// The medians over seeds of the relative Frobenius errors of Θ̂ and K̂ at width h.
    private func medianErrors(_ architecture: Architecture, _ analytic: NetworkKernels, width h: Int) throws
        -> (ntk: Double, head: Double) {
        var ntk: [Double] = [], head: [Double] = []
        for seed: UInt64 in 1...6 {
            let network = try FullyConnectedNetwork(architecture: architecture, inputDimension: 4, width: h, seed: seed)
            let empirical = try network.empiricalKernels(Self.inputs)
            ntk.append(TestNetworks.relativeError(empirical.ntk, analytic.ntk))
            head.append(TestNetworks.relativeError(empirical.head, analytic.head))
        }
        return (SampleStatistics(ntk).median, SampleStatistics(head).median)
    }
}
