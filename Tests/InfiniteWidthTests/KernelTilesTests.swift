import InfiniteWidth
import LinearAlgebra
import XCTest

/// Tiles (rows × columns) computed alone by `KernelTiles` equal those entries of the whole
/// matrix bit for bit — the unit of work of a 2-D block-cyclic layout — for symmetric and
/// two-set calls, tiles above, below and across the diagonal, across block, tile and lane
/// boundaries (32-row product blocks, 256-column tiles, 4-wide lanes); and, for a truncated
/// Hermite series, through the whole-matrix fallback.
final class KernelTilesTests: XCTestCase {
    private func assertTilesMatch(_ recursion: KernelRecursion, _ x1: Matrix, _ x2: Matrix?,
                                  tiles: [(Range<Int>, Range<Int>)], file: StaticString = #filePath, line: UInt = #line) throws {
        let depths = [3, 1]
        let whole = try recursion.kernels(x1, x2, depths: depths)
        let source = try KernelTiles(recursion, x1, x2, depths: depths)
        for (rows, columns) in tiles {
            let tile = try source.tile(rows: rows, columns: columns)
            XCTAssertEqual(tile.map(\.depth), depths, file: file, line: line)
            for (w, t) in zip(whole, tile) {
                for (name, a, b) in [("nngp", w.nngp, t.nngp), ("ntk", w.ntk, t.ntk), ("head", w.head, t.head), ("body", w.body, t.body)] {
                    // Bit-identical: compare the bit patterns, not the values.
                    XCTAssertEqual(a.block(rows: rows, columns: columns).elements.map(\.bitPattern), b.elements.map(\.bitPattern),
                                   "\(name) depth \(w.depth) tile \(rows) × \(columns)", file: file, line: line)
                }
            }
        }
    }

    func testSymmetricTilesEqualWholeMatrixEntries() throws {
        var g = SeededGenerator(seed: 11)
        let x = Matrix.randomNormal(rows: 300, columns: 3, using: &g)
        let tiles: [(Range<Int>, Range<Int>)] = [
            (0..<300, 0..<300), (0..<76, 76..<152), (76..<152, 0..<76), (3..<41, 5..<40), (31..<33, 30..<290),
            (250..<300, 0..<7), (101..<262, 101..<262), (7..<9, 200..<300), (290..<300, 255..<258), (10..<20, 0..<9),
        ]
        for activation in [Activation.relu, .erf, .abReLU(negativeSlope: -0.5, positiveSlope: 1.5)] {
            try assertTilesMatch(KernelRecursion(try Architecture(depth: 3, activation: activation, biasStd: 0.1)), x, nil, tiles: tiles)
        }
        // Without biases: ABReLU networks read out through the angular tables.
        for activation in [Activation.relu, .abReLU(negativeSlope: -0.5, positiveSlope: 1.5)] {
            try assertTilesMatch(KernelRecursion(try Architecture(depth: 3, activation: activation)), x, nil, tiles: tiles)
        }
    }

    func testTwoSetTilesEqualWholeMatrixEntries() throws {
        var g = SeededGenerator(seed: 12)
        let x1 = Matrix.randomNormal(rows: 70, columns: 4, using: &g)
        let x2 = Matrix.randomNormal(rows: 270, columns: 4, using: &g)
        try assertTilesMatch(KernelRecursion(try Architecture(depth: 3, activation: .relu)), x1, x2,
                             tiles: [(0..<70, 0..<270), (0..<1, 269..<270), (30..<35, 3..<259), (64..<70, 0..<5)])
    }

    func testHermiteSeriesTilesAreCutFromTheWholeMatrix() throws {
        var g = SeededGenerator(seed: 13)
        let x = Matrix.randomNormal(rows: 40, columns: 3, using: &g)
        try assertTilesMatch(KernelRecursion(try Architecture(depth: 2, activation: .tanh)), x, nil,
                             tiles: [(0..<40, 0..<40), (5..<17, 20..<33), (30..<40, 1..<6)])
    }

    /// `compute` writes the same bits as `tile` straight into a strided share (here a 2-D
    /// layout's local array, 7 columns wider than the tile), a depth asked for twice included.
    func testTilesComputedIntoStridedStorageEqualTheTiles() throws {
        var g = SeededGenerator(seed: 14)
        let x = Matrix.randomNormal(rows: 90, columns: 3, using: &g)
        for activation in [Activation.relu, .tanh] {
            let depths = [3, 1, 3]
            let source = try KernelTiles(KernelRecursion(try Architecture(depth: 3, activation: activation)), x, depths: depths)
            for (rows, columns) in [(10..<50, 30..<80), (60..<90, 0..<33)] {
                let stride = columns.count + 7
                let kinds = KernelKinds.ordered.map(\.kind)
                var storage = [Double](repeating: .nan, count: depths.count * 4 * rows.count * stride)
                try storage.withUnsafeMutableBufferPointer { buffer in
                    try source.compute(rows: rows, columns: columns, rowStride: stride) { k, kind in
                        buffer.baseAddress! + (k * 4 + kinds.firstIndex(of: kind)!) * rows.count * stride
                    }
                }
                for (k, kernels) in try source.tile(rows: rows, columns: columns).enumerated() {
                    for (slot, matrix) in [kernels.nngp, kernels.ntk, kernels.head, kernels.body].enumerated() {
                        let base = (k * 4 + slot) * rows.count * stride
                        let written = (0..<rows.count).flatMap { r in storage[(base + r * stride)..<(base + r * stride + columns.count)] }
                        XCTAssertEqual(written.map(\.bitPattern), matrix.elements.map(\.bitPattern), "\(activation) depth \(depths[k]) kind \(slot)")
                    }
                }
            }
        }
    }

    func testTilesOutsideTheMatrixAreRefused() throws {
        let x = Matrix(rowArrays: [[1, 0], [0, 1], [1, 1]])
        let source = try KernelTiles(KernelRecursion(try Architecture(depth: 1, activation: .relu)), x, depths: [1])
        XCTAssertThrowsError(try source.tile(rows: 0..<4, columns: 0..<3))
        XCTAssertThrowsError(try source.tile(rows: 0..<3, columns: 2..<2))
        XCTAssertThrowsError(try KernelTiles(KernelRecursion(try Architecture(depth: 1, activation: .relu)), x, depths: [0]))
    }
}
