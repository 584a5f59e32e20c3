import Foundation
import InfiniteWidth
import LinearAlgebra
import XCTest

/// Bias-free ABReLU networks read out through the first layer's angle (`AngularReadout`): the
/// tables agree with the layer-by-layer recursion to round-off of the kernel's scale, apply
/// exactly where they should, and leave the diagonal and (near-)parallel pairs to the layers.
final class AngularReadoutTests: XCTestCase {
    private static let activations: [Activation] = [.relu, .leakyReLU(slope: 0.1), .abs,
                                                    .abReLU(negativeSlope: -0.5, positiveSlope: 1.5)]

    private func randomInputs(_ n: Int, _ d: Int, seed: UInt64) -> Matrix {
        var g = SeededGenerator(seed: seed)
        return Matrix.randomNormal(rows: n, columns: d, using: &g)
    }

    private func kernels(_ arch: Architecture, _ x1: Matrix, _ x2: Matrix? = nil, depths: [Int],
                         tables: Bool) throws -> [NetworkKernels] {
        try KernelRecursion(arch, angularTables: tables).kernels(x1, x2, depths: depths)
    }

    /// The tables pass their check at 4 ulp of the largest value against a 64-bit-significand
    /// recursion; the layer path is itself a few ulp off (abs, depth 5: 1.0e-15 normwise against
    /// a 40-digit reference where the tables are 3e-16 off), so the two agree to 4e-15
    /// normwise (measured: ≤ 3.3e-15), in symmetric and cross calls, with a readout bias and scale.
    func testTablesAgreeWithTheLayerRecursion() throws {
        let x1 = randomInputs(40, 6, seed: 1), x2 = randomInputs(17, 6, seed: 2)
        for activation in Self.activations {
            let arch = try Architecture(depth: 5, activation: activation, weightStd: 1.2, readoutWeightStd: 0.7,
                                        readoutBiasStd: 0.3)
            XCTAssertTrue(KernelRecursion(arch).readsOutFromAngles(inputDimension: 6, depths: [2, 3, 5]), "\(activation)")
            for second in [nil, x2] {
                let fast = try kernels(arch, x1, second, depths: [2, 3, 5], tables: true)
                let layers = try kernels(arch, x1, second, depths: [2, 3, 5], tables: false)
                for (f, l) in zip(fast, layers) {
                    for (name, a, b) in [("nngp", f.nngp, l.nngp), ("ntk", f.ntk, l.ntk), ("head", f.head, l.head),
                                         ("body", f.body, l.body)] {
                        XCTAssertLessThan(a.maxRelativeDifference(to: b), 4e-15,
                                          "\(activation) \(name) depth \(f.depth) cross \(second != nil)")
                    }
                }
            }
        }
    }

    /// Where they apply: ABReLU, no bias, NTK parameterization, readouts at depth 2…9 for ReLU
    /// (deeper, the change concentrates near θ = 0 and the check sends them to the layers).
    func testTablesApplyOnlyToBiasFreeABReLUNetworks() throws {
        func applies(_ arch: Architecture, _ depths: [Int]) -> Bool {
            KernelRecursion(arch).readsOutFromAngles(inputDimension: 5, depths: depths)
        }
        XCTAssertTrue(applies(try Architecture(depth: 5, activation: .relu), [5]))
        XCTAssertTrue(applies(try Architecture(depth: 9, activation: .relu), [2, 9]))
        XCTAssertFalse(applies(try Architecture(depth: 12, activation: .relu), [12]), "too deep for the tables")
        XCTAssertFalse(applies(try Architecture(depth: 5, activation: .relu), [1, 5]), "depth 1 stays on the layers")
        XCTAssertTrue(applies(try Architecture(depth: 5, activation: .relu), [5]), "each depth on its own")
        XCTAssertFalse(applies(try Architecture(depth: 5, activation: .relu, biasStd: 0.1), [5]))
        XCTAssertFalse(applies(try Architecture(depth: 5, activation: .erf), [5]))
        XCTAssertFalse(applies(try Architecture(depth: 5, activation: .relu, parameterization: .standard(hiddenWidth: 64)), [5]))
        XCTAssertFalse(KernelRecursion(try Architecture(depth: 5, activation: .relu), angularTables: false)
            .readsOutFromAngles(inputDimension: 5, depths: [5]))
        // A readout bias is added after the tables: still through them.
        XCTAssertTrue(applies(try Architecture(depth: 5, activation: .relu, readoutBiasStd: 0.5), [5]))
    }

    /// Parallel, antipodal and repeated points (det¹ within 10⁻¹² of 0) go through the layers:
    /// alone in a row of others, their entries are the layer path's bits; one-dimensional
    /// inputs (every pair parallel or antipodal) give the layer path's values to an ulp and a
    /// positive semi-definite kernel.
    func testParallelAndRepeatedPointsTakeTheLayerPath() throws {
        var rows = randomInputs(12, 3, seed: 3).rowArrays
        rows.append(rows[0].map { 2 * $0 })      // parallel to point 0
        rows.append(rows[1].map { -$0 })         // antipodal to point 1
        rows.append(rows[2])                     // point 2 repeated
        let x = Matrix(rowArrays: rows)
        let arch = try Architecture(depth: 4, activation: .relu)
        let fast = try kernels(arch, x, depths: [4], tables: true)[0]
        let layers = try kernels(arch, x, depths: [4], tables: false)[0]
        for (name, a, b) in [("nngp", fast.nngp, layers.nngp), ("ntk", fast.ntk, layers.ntk), ("body", fast.body, layers.body)] {
            // Columns 12…14 are the scalar tail of every row's segment in both paths.
            for (i, j) in [(0, 12), (1, 13), (2, 14), (0, 0), (7, 7)] {
                XCTAssertEqual(a[i, j].bitPattern, b[i, j].bitPattern, "\(name) (\(i), \(j))")
            }
            XCTAssertEqual(a.asymmetry, 0, name)
        }
        let line = Matrix(rowArrays: [[0.3], [-1.2], [0.7], [2.5], [-0.1], [1.9], [-0.8], [0.05], [3.1], [-2.2]])
        let k = try kernels(arch, line, depths: [4], tables: true)[0], reference = try kernels(arch, line, depths: [4], tables: false)[0]
        XCTAssertLessThan(k.ntk.maxRelativeDifference(to: reference.ntk), 4 * Double.ulpOfOne)
        XCTAssertGreaterThanOrEqual(try SymmetricEigendecomposition(k.ntk, name: "ntk").smallestEigenvalue, -1e-14 * k.ntk.trace)
    }

    /// Each depth is decided on its own: a depth's kernels are the same bits whichever other
    /// depths are computed with it (depth 1 and depth 12 go through the layers, 3 and 6 through
    /// the tables), as sharded sweeps need.
    func testDepthsAreIndependentOfTheOthersAskedFor() throws {
        let x = randomInputs(29, 5, seed: 5)
        let arch = try Architecture(depth: 12, activation: .leakyReLU(slope: 0.2))
        let together = try KernelRecursion(arch).kernels(x, depths: [1, 3, 6, 12])
        for (k, depth) in [1, 3, 6, 12].enumerated() {
            let alone = try KernelRecursion(arch).kernels(x, depths: [depth])[0]
            for (name, a, b) in [("nngp", together[k].nngp, alone.nngp), ("ntk", together[k].ntk, alone.ntk),
                                 ("body", together[k].body, alone.body)] {
                XCTAssertEqual(a.elements.map(\.bitPattern), b.elements.map(\.bitPattern), "\(name) depth \(depth)")
            }
        }
    }

    /// A kernel that overflows through the tables is refused as through the layers (the same
    /// depth in the message).
    func testOverflowIsReportedThroughTheTables() throws {
        let x = randomInputs(9, 4, seed: 4)
        let arch = try Architecture(depth: 5, activation: .relu, weightStd: 1e35)
        XCTAssertTrue(KernelRecursion(arch).readsOutFromAngles(inputDimension: 4, depths: [5]))
        var messages: [String] = []
        for tables in [true, false] {
            XCTAssertThrowsError(try KernelRecursion(arch, angularTables: tables).kernels(x)) { messages.append("\($0)") }
        }
        XCTAssertEqual(messages.count, 2)
        XCTAssertEqual(messages.first, messages.last)
    }
}
