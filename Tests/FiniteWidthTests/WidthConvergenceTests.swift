import FiniteWidth
import InfiniteWidth
import LinearAlgebra
import Paradigms
import XCTest

/// At initialisation the empirical kernels Θ̂ and K̂ approach the analytic Θ and K of
/// `KernelRecursion` with relative Frobenius error O(1/√h) (theory.md §7).
///
/// Set-up: depth 2, 10 points on the unit sphere in 5 dimensions, widths 64 … 2048 (five
/// octaves), seeds 1 … 10 at every width; the statistic is the median over seeds of
/// ‖Θ̂ − Θ‖_F/‖Θ‖_F. The seeds are fixed, so the figures are reproducible to round-off (no
/// flakiness); the bands below guard against regressions, not against chance.
///
/// Bands: the measured constants C = median·√h (printed by the test) stay within ±15% of
/// their geometric mean across widths (the median of 10 draws fluctuates by ~±1/√10·30%), so
/// each median must lie in [C/1.6, 1.6·C]/√h with C the measured mean constant below; and the
/// least-squares slope of log(median) against log(h) must lie in [−0.7, −0.3] (measured −0.43 to
/// −0.50). A wrong kernel factor gives an error floor (slope ≈ 0) or a constant far outside the
/// band; comparing against the wrong parameterization gives O(1) errors at every width.
final class WidthConvergenceTests: XCTestCase {
    static let widths = [64, 128, 256, 512, 1024, 2048]
    static let seeds: [UInt64] = Array(1...10)
    static let inputs = TestNetworks.sphere(10, 5, seed: 71)

    /// Critical ReLU with a small bias, NTK parameterization (measured C: Θ̂ 2.21–2.53, K̂ 2.38–3.04).
    func testReLUKernelsConvergeAtRateOneOverRootWidth() throws {
        try assertConvergence("relu ntk", ntkConstant: 2.43, headConstant: 2.68) { _ in
            try Architecture(depth: 2, activation: .relu, weightStd: 2.0.squareRoot(), biasStd: 0.1)
        }
    }

    /// erf (closed-form kernel maps), NTK parameterization (measured C: Θ̂ 1.46–1.97, K̂ 2.23–2.98).
    func testErfKernelsConvergeAtRateOneOverRootWidth() throws {
        try assertConvergence("erf ntk", ntkConstant: 1.66, headConstant: 2.57) { _ in
            try Architecture(depth: 2, activation: .erf, weightStd: 1.5, biasStd: 0.2)
        }
    }

    /// Standard parameterization, compared with `KernelRecursion` for `.standard(hiddenWidth: h)`,
    /// whose kernels grow with h (measured C: Θ̂ 2.31–2.68, K̂ 2.21–3.06).
    func testStandardParameterizationKernelsConverge() throws {
        try assertConvergence("relu standard", ntkConstant: 2.54, headConstant: 2.69) { h in
            try Architecture(depth: 2, activation: .relu, weightStd: 2.0.squareRoot(), biasStd: 0.1,
                             parameterization: .standard(hiddenWidth: h))
        }
    }

    private func assertConvergence(_ name: String, ntkConstant: Double, headConstant: Double,
                                   architecture: (Int) throws -> Architecture,
                                   file: StaticString = #filePath, line: UInt = #line) throws {
        var ntkMedians: [Double] = [], headMedians: [Double] = []
        for h in Self.widths {
            let (ntk, head) = try medianErrors(architecture(h), width: h)
            ntkMedians.append(ntk)
            headMedians.append(head)
            let root = Double(h).squareRoot()
            print("FiniteWidth: \(name) h=\(h): median relative error Θ̂ \(ntk) (C = \(ntk * root)), K̂ \(head) (C = \(head * root))")
            for (kernel, error, constant) in [("Θ̂", ntk, ntkConstant), ("K̂", head, headConstant)] {
                XCTAssertLessThan(error, 1.6 * constant / root, "\(name) \(kernel) h=\(h)", file: file, line: line)
                XCTAssertGreaterThan(error, constant / 1.6 / root, "\(name) \(kernel) h=\(h)", file: file, line: line)
            }
        }
        let logWidths = Self.widths.map { log(Double($0)) }
        for (kernel, medians) in [("Θ̂", ntkMedians), ("K̂", headMedians)] {
            let slope = TestNetworks.slope(logWidths, medians.map { log($0) })
            print("FiniteWidth: \(name): fitted slope of log error vs log width for \(kernel): \(slope)")
            XCTAssertTrue((-0.7)...(-0.3) ~= slope, "\(name) \(kernel): slope \(slope)", file: file, line: line)
        }
    }

    /// The medians over seeds of the relative Frobenius errors of Θ̂ and K̂ at width h.
    private func medianErrors(_ architecture: Architecture, width h: Int) throws -> (ntk: Double, head: Double) {
        let analytic = try KernelRecursion(architecture).kernels(Self.inputs)
        var ntk: [Double] = [], head: [Double] = []
        for seed in Self.seeds {
            let network = try FullyConnectedNetwork(architecture: architecture, inputDimension: 5, width: h, seed: seed)
            let empirical = try network.empiricalKernels(Self.inputs)
            ntk.append(TestNetworks.relativeError(empirical.ntk, analytic.ntk))
            head.append(TestNetworks.relativeError(empirical.head, analytic.head))
        }
        return (SampleStatistics(ntk).median, SampleStatistics(head).median)
    }
}
