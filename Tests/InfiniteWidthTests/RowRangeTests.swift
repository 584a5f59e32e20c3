import InfiniteWidth
import LinearAlgebra
import XCTest

/// Rows computed alone equal those rows of the whole matrix bit for bit (the unit of work for
/// out-of-core and split computations), for symmetric and two-set calls, across block, tile and
/// lane boundaries (32-row product blocks, 256-column tiles, 4-wide lanes).
final class RowRangeTests: XCTestCase {
    private func assertRowsMatch(_ recursion: KernelRecursion, _ x1: Matrix, _ x2: Matrix?, ranges: [Range<Int>],
                                 file: StaticString = #filePath, line: UInt = #line) throws {
        let depths = [1, 3]
        let whole = try recursion.kernels(x1, x2, depths: depths)
        for rows in ranges {
            let part = try recursion.kernels(x1, x2, depths: depths, rows: rows)
            for (w, p) in zip(whole, part) {
                for (name, a, b) in [("nngp", w.nngp, p.nngp), ("ntk", w.ntk, p.ntk), ("head", w.head, p.head), ("body", w.body, p.body)] {
                    let expected = a.rows(rows)
                    // Bit-identical: compare the bit patterns, not the values.
                    XCTAssertEqual(expected.elements.map(\.bitPattern), b.elements.map(\.bitPattern),
                                   "\(name) depth \(w.depth) rows \(rows)", file: file, line: line)
                }
            }
        }
    }

    func testSymmetricRowsEqualWholeMatrixRows() throws {
        var g = SeededGenerator(seed: 7)
        let x = Matrix.randomNormal(rows: 300, columns: 3, using: &g)
        let ranges = [0..<1, 5..<6, 3..<41, 31..<33, 250..<300, 299..<300, 0..<300, 101..<262]
        for activation in [Activation.relu, .erf] {
            try assertRowsMatch(KernelRecursion(try Architecture(depth: 3, activation: activation)), x, nil, ranges: ranges)
        }
    }

    func testTwoSetRowsEqualWholeMatrixRows() throws {
        var g = SeededGenerator(seed: 8)
        let x1 = Matrix.randomNormal(rows: 70, columns: 4, using: &g)
        let x2 = Matrix.randomNormal(rows: 270, columns: 4, using: &g)
        try assertRowsMatch(KernelRecursion(try Architecture(depth: 3, activation: .relu)), x1, x2,
                            ranges: [0..<1, 30..<35, 64..<70, 0..<70])
    }

    func testOnlyRequestedKindsAreWritten() throws {
        var g = SeededGenerator(seed: 9)
        let x = Matrix.randomNormal(rows: 40, columns: 3, using: &g)
        let recursion = KernelRecursion(try Architecture(depth: 2, activation: .relu))
        let whole = try recursion.kernels(x)
        var ntk = [Double](repeating: .nan, count: 40 * 40)
        try ntk.withUnsafeMutableBufferPointer { buffer in
            try recursion.compute(x, nil, depths: [2], kinds: .ntk, rows: 0..<40) { _, kind in
                XCTAssertEqual(kind, .ntk)
                return buffer.baseAddress!
            }
        }
        XCTAssertEqual(ntk.map(\.bitPattern), whole.ntk.elements.map(\.bitPattern))
    }

    func testInvalidRowsAreRefused() throws {
        let x = Matrix(rowArrays: [[1, 0], [0, 1]])
        let recursion = KernelRecursion(try Architecture(depth: 1, activation: .relu))
        XCTAssertThrowsError(try recursion.kernels(x, depths: [1], rows: 1..<3)) { error in
            XCTAssertEqual(error as? KernelInputError, .invalidRows(1..<3, count: 2))
        }
    }

    /// `kinds` computes only the kernels asked for: each equals the whole call's bit for bit (head
    /// served by the NNGP matrix in NTK parameterization, separately in standard), the others
    /// are empty; standard parameterization keeps head and NNGP apart.
    func testKernelSubsetsEqualTheWholeCallBits() throws {
        var g = SeededGenerator(seed: 9)
        let x = Matrix.randomNormal(rows: 90, columns: 3, using: &g)
        for parameterization in [Parameterization.ntk, .standard(hiddenWidth: 64)] {
            let recursion = KernelRecursion(try Architecture(depth: 3, activation: .relu, parameterization: parameterization))
            let whole = try recursion.kernels(x)
            let named: [(KernelKinds, KeyPath<NetworkKernels, Matrix>)] = [(.nngp, \.nngp), (.ntk, \.ntk), (.head, \.head), (.body, \.body)]
            for kinds in [KernelKinds.ntk, [.ntk, .head], [.body, .head], .body, .nngp] {
                let part = try recursion.kernels(x, depths: [3], rows: 0..<90, kinds: kinds)[0]
                for (kind, path) in named {
                    let servedByNNGP = parameterization == .ntk && (kind == .nngp && kinds.contains(.head)
                                                                   || kind == .head && kinds.contains(.nngp))
                    if kinds.contains(kind) || servedByNNGP {
                        XCTAssertEqual(part[keyPath: path].elements.map(\.bitPattern), whole[keyPath: path].elements.map(\.bitPattern),
                                       "\(kind) of \(kinds.names) (\(parameterization))")
                    } else {
                        XCTAssertTrue(part[keyPath: path].isEmpty, "\(kind) of \(kinds.names) should not be computed")
                    }
                }
            }
        }
    }

    /// `computeInBands` (bands of 64 rows, the last one partial) gives the whole call's upper
    /// triangles bit for bit, never writes below the diagonal, and hands over every band once, in
    /// order, complete; each band expanded as it is handed over is those rows of the whole matrix.
    func testBandsGiveTheWholeMatrixBits() throws {
        var g = SeededGenerator(seed: 10)
        let x = Matrix.randomNormal(rows: 150, columns: 3, using: &g)
        let recursion = KernelRecursion(try Architecture(depth: 3, activation: .relu, biasStd: 0.2))
        XCTAssertTrue(recursion.supportsBands)
        let whole = try recursion.kernels(x, depths: [2, 3])
        let kinds: KernelKinds = [.nngp, .ntk, .body]
        var storage = [[Double]](repeating: [Double](repeating: .nan, count: 150 * 150), count: 6)
        var expanded = [Double](repeating: .nan, count: 150 * 150)
        var bands: [Range<Int>] = []
        try storage.withUnsafeMutableBufferPointer { all in
            let pointers = (0..<6).map { all[$0].withUnsafeMutableBufferPointer { $0.baseAddress! } }
            try recursion.computeInBands(x, depths: [2, 3], kinds: kinds, bandRows: 64) { depthIndex, kind in
                pointers[3 * depthIndex + [KernelKinds.nngp, .ntk, .body].firstIndex(of: kind)!]
            } bandFinished: { band in
                bands.append(band)
                // Complete when handed over: every entry from the diagonal on is written.
                for i in band {
                    XCTAssertFalse(UnsafeBufferPointer(start: pointers[4] + i * 150 + i, count: 150 - i).contains { $0.isNaN },
                                   "row \(i)")
                }
                expanded.withUnsafeMutableBufferPointer {
                    Matrix.expandUpperTriangle(pointers[4], size: 150, rows: band, into: $0.baseAddress! + band.lowerBound * 150)
                }
            }
        }
        XCTAssertEqual(bands, [0..<64, 64..<128, 128..<150])
        XCTAssertEqual(expanded.map(\.bitPattern), whole[1].ntk.elements.map(\.bitPattern))
        for (k, kernels) in whole.enumerated() {
            for (slot, matrix) in [kernels.nngp, kernels.ntk, kernels.body].enumerated() {
                for i in 0..<150 {
                    for j in 0..<150 {
                        let value = storage[3 * k + slot][i * 150 + j]
                        if j >= i {
                            XCTAssertEqual(value.bitPattern, matrix[i, j].bitPattern, "depth \(kernels.depth) slot \(slot) (\(i), \(j))")
                        } else {
                            XCTAssertTrue(value.isNaN, "below the diagonal (\(i), \(j)) was written")
                        }
                    }
                }
            }
        }
    }

    /// `.upperTriangle` storage: the whole call's entries from the diagonal on, bit for bit, and
    /// nothing written below the diagonal.
    func testUpperTriangleStorageLeavesTheLowerHalfUntouched() throws {
        var g = SeededGenerator(seed: 11)
        let x = Matrix.randomNormal(rows: 70, columns: 4, using: &g)
        let recursion = KernelRecursion(try Architecture(depth: 2, activation: .relu, biasStd: 0.1))
        let whole = try recursion.kernels(x)
        var ntk = [Double](repeating: .nan, count: 70 * 70)
        try ntk.withUnsafeMutableBufferPointer { buffer in
            try recursion.compute(x, nil, depths: [2], kinds: .ntk, rows: 0..<70, symmetricStorage: .upperTriangle) { _, _ in
                buffer.baseAddress!
            }
        }
        for i in 0..<70 {
            for j in 0..<70 {
                if j >= i {
                    XCTAssertEqual(ntk[i * 70 + j].bitPattern, whole.ntk[i, j].bitPattern, "(\(i), \(j))")
                } else {
                    XCTAssertTrue(ntk[i * 70 + j].isNaN, "(\(i), \(j)) below the diagonal was written")
                }
            }
        }
    }
}
