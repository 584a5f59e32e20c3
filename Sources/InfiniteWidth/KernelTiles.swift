import LinearAlgebra

/// Tiles of the kernels of one call — rows `rows` × columns `columns` of every matrix that
/// `KernelRecursion.kernels(x1, x2, depths:)` returns — each bit-identical to those entries of
/// the whole call, for a process that owns the tiles of a 2-D block-cyclic layout (`ntkbridge-mpi`).
///
/// The per-point work (input norms, the diagonal recursion q^l) is done once, at `init`; a tile
/// then costs only its own pairs. Entry (i, j) is computed exactly as the whole call computes it
/// (see `RowRecursion`): by row i's recursion cut to the lane-aligned columns of the tile, or, in
/// a symmetric call for j < i, by row j's recursion cut to the tile's rows and written transposed.
/// Where row blocks are not bit-identical to the whole matrix (`rowBlocksAreBitIdentical`: the
/// truncated Hermite series), and for the convolutional engine (which computes whole matrices),
/// `init` computes the whole kernels and tiles are cut from them: identical output, compute and
/// memory that do not scale.
public struct KernelTiles: Sendable {
    public let recursion: KernelRecursion
    /// The depths as asked for (a tile returns one `NetworkKernels` per entry, in this order).
    public let depths: [Int]
    public let rowCount: Int
    public let columnCount: Int
    private let plan: Plan

    private enum Plan: Sendable {
        case pairs(RowRecursion, kinds: KernelKinds, readoutDepths: [Int], overflow: OverflowRecord)
        case whole([NetworkKernels])
    }

    /// Per row of X1: the first depth whose readout was not finite (0 if none), shared by tiles.
    private final class OverflowRecord: @unchecked Sendable {
        let depths: UnsafeMutablePointer<Int>
        let count: Int
        init(count: Int) {
            self.count = count
            depths = .allocate(capacity: max(count, 1))
            depths.initialize(repeating: 0, count: max(count, 1))
        }
        deinit { depths.deallocate() }
        var first: Int? { UnsafeBufferPointer(start: depths, count: count).filter { $0 > 0 }.min() }
    }

    /// Prepares tiles of the kernels between the rows of `x1` and of `x2` (of `x1` with itself
    /// when `x2` is nil) at `depths`; throws what `kernels(_:_:depths:)` would for these inputs.
    public init(_ recursion: KernelRecursion, _ x1: Matrix, _ x2: Matrix? = nil, depths: [Int]) throws {
        try recursion.validate(x1, x2, depths: depths, rows: 0..<x1.rows)
        self.recursion = recursion
        self.depths = depths
        rowCount = x1.rows
        columnCount = x2?.rows ?? x1.rows
        guard recursion.architecture.convolution == nil, recursion.rowBlocksAreBitIdentical else {
            plan = .whole(try recursion.kernels(x1, x2, depths: depths))
            return
        }
        let readoutDepths = Array(Set(depths)).sorted()
        let geometry = InputGeometry(x1: x1, x2: x2)
        let layers = LayerRecursion(recursion.architecture, inputDimension: x1.columns)
        let diagonal1 = DiagonalRecursion(squaredNorms: geometry.squaredNorms1, depth: readoutDepths.last!, layers: layers,
                                          dual: recursion.dual)
        let diagonal2 = geometry.isSymmetric ? diagonal1
            : DiagonalRecursion(squaredNorms: geometry.squaredNorms2, depth: readoutDepths.last!, layers: layers,
                                dual: recursion.dual)
        let overflow = OverflowRecord(count: x1.rows)
        let rows = RowRecursion(geometry: geometry, layers: layers, dual: recursion.dual, diagonal1: diagonal1,
                                diagonal2: diagonal2, readoutDepths: readoutDepths, deepest: readoutDepths.last!,
                                overflow: .init(overflow.depths), angularTables: recursion.angularTables)
        plan = .pairs(rows, kinds: layers.headIsNNGP ? [.nngp, .ntk, .body] : .all, readoutDepths: readoutDepths,
                      overflow: overflow)
    }

    /// Rows `rows` × columns `columns` of each kernel, one `NetworkKernels` per depth of `depths`
    /// (rows.count × columns.count matrices).
    public func tile(rows: Range<Int>, columns: Range<Int>) throws -> [NetworkKernels] {
        guard rows.lowerBound >= 0, rows.upperBound <= rowCount, !rows.isEmpty else {
            throw KernelInputError.invalidRows(rows, count: rowCount)
        }
        guard columns.lowerBound >= 0, columns.upperBound <= columnCount, !columns.isEmpty else {
            throw KernelInputError.invalidRows(columns, count: columnCount)
        }
        switch plan {
        case let .whole(kernels):
            return kernels.map { $0.block(rows: rows, columns: columns) }
        case let .pairs(recursion, kinds, readoutDepths, overflow):
            let perDepth = kinds.names.count
            let slots = KernelKinds.ordered.map { kind in
                KernelKinds.ordered.filter { kinds.contains($0.kind) }.firstIndex { $0.kind == kind.kind }
            }
            let outputs = Matrix.producing(perDepth * readoutDepths.count, rows: rows.count, columns: columns.count) { pointers in
                let bases = readoutDepths.indices.map { k in slots.map { $0.map { pointers[perDepth * k + $0] } } }
                let destination = KernelDestination(bases: bases, firstRow: rows.lowerBound, rowStride: columns.count,
                                                    firstColumn: columns.lowerBound, columnStride: 1)
                BLASBackend.withThreadCount(1) {
                    TilePlan(recursion: recursion, rows: rows, columns: columns).run(into: destination)
                }
            }
            if let depth = overflow.first {
                throw KernelInputError.nonFiniteKernel(depth: depth, hint: "reduce --w-std, --b-std or the input scale, or the depth")
            }
            let headIsNNGP = !kinds.contains(.head)
            let byDepth = Dictionary(uniqueKeysWithValues: readoutDepths.enumerated().map { k, depth in
                let base = perDepth * k
                return (depth, NetworkKernels(depth: depth, nngp: outputs[base], ntk: outputs[base + 1],
                                              head: headIsNNGP ? outputs[base] : outputs[base + 2],
                                              body: outputs[base + perDepth - 1]))
            })
            return depths.map { byDepth[$0]! }
        }
    }
}

extension KernelTiles {
    /// Computes tile `rows` × `columns` of every kernel straight into the caller's storage:
    /// `storage(k, kind)` points at entry (rows.lowerBound, columns.lowerBound) of kernel `kind`
    /// at depth `depths[k]`, in a row-major array whose rows are `rowStride` apart (a process's
    /// local share of a 2-D layout). The same bits as `tile(rows:columns:)`, without its copies.
    public func compute(rows: Range<Int>, columns: Range<Int>, rowStride: Int,
                        storage: (Int, KernelKinds) -> UnsafeMutablePointer<Double>) throws {
        guard case let .pairs(recursion, _, readoutDepths, overflow) = plan else {
            for (k, kernels) in try tile(rows: rows, columns: columns).enumerated() {
                for (kind, matrix) in [(KernelKinds.nngp, kernels.nngp), (.ntk, kernels.ntk), (.head, kernels.head), (.body, kernels.body)] {
                    let target = storage(k, kind)
                    matrix.withUnsafeBufferPointer { tile in
                        for r in 0..<rows.count {
                            (target + r * rowStride).update(from: tile.baseAddress! + r * columns.count, count: columns.count)
                        }
                    }
                }
            }
            return
        }
        guard rows.lowerBound >= 0, rows.upperBound <= rowCount, !rows.isEmpty else {
            throw KernelInputError.invalidRows(rows, count: rowCount)
        }
        guard columns.lowerBound >= 0, columns.upperBound <= columnCount, !columns.isEmpty else {
            throw KernelInputError.invalidRows(columns, count: columnCount)
        }
        // All four kinds are written (where the head kernel is the NNGP one, `headKernel` returns
        // the NNGP value itself); a depth asked for twice is computed once and copied.
        let first = readoutDepths.map { depth in depths.firstIndex(of: depth)! }
        let bases = first.map { k in KernelKinds.ordered.map { Optional(storage(k, $0.kind)) } }
        let destination = KernelDestination(bases: bases, firstRow: rows.lowerBound, rowStride: rowStride,
                                            firstColumn: columns.lowerBound, columnStride: 1)
        BLASBackend.withThreadCount(1) {
            TilePlan(recursion: recursion, rows: rows, columns: columns).run(into: destination)
        }
        if let depth = overflow.first {
            throw KernelInputError.nonFiniteKernel(depth: depth, hint: "reduce --w-std, --b-std or the input scale, or the depth")
        }
        for (k, depth) in depths.enumerated() where !first.contains(k) {
            let source = depths.firstIndex(of: depth)!
            for (kind, _) in KernelKinds.ordered {
                let (from, to) = (storage(source, kind), storage(k, kind))
                for r in 0..<rows.count { (to + r * rowStride).update(from: from + r * rowStride, count: columns.count) }
            }
        }
    }
}

/// The work of one tile, in product blocks of rows run on all cores:
/// - entries (i, j) computed by row i (in a symmetric call those with j ≥ i): row i's segment
///   from its natural start, cut to the lane-aligned columns of the tile;
/// - in a symmetric call, entries (i, j) with j < i: the mirror (j, i), computed by row j cut to
///   the lane-aligned columns `rows` and written transposed.
struct TilePlan {
    let recursion: RowRecursion
    let rows: Range<Int>
    let columns: Range<Int>

    private func segments(_ range: Range<Int>) -> RowRecursion.Segments {
        let lane = RowRecursion.lane
        return .init(from: range.lowerBound / lane * lane, to: min(recursion.width, (range.upperBound + lane - 1) / lane * lane),
                     writeFrom: range.lowerBound, writeTo: range.upperBound)
    }

    func run(into destination: KernelDestination) {
        guard recursion.geometry.isSymmetric else { return run(rows, segments(columns), destination) }
        // Row i writes (i, j) for j ≥ i only: the rows left of the tile's last column.
        if rows.lowerBound < columns.upperBound {
            run(rows.lowerBound..<min(rows.upperBound, columns.upperBound), segments(columns), destination)
        }
        guard columns.lowerBound < rows.upperBound else { return }
        run(columns.lowerBound..<min(columns.upperBound, rows.upperBound), segments(rows), destination.transposed)
    }

    private func run(_ rows: Range<Int>, _ segments: RowRecursion.Segments, _ destination: KernelDestination) {
        let perBlock = RowRecursion.rowsPerProduct
        let blocks = (rows.lowerBound / perBlock)..<((rows.upperBound - 1) / perBlock + 1)
        let recursion = recursion
        ParallelLoop.forEachChunk(count: blocks.count) {
            for b in $0 {
                let block = blocks.lowerBound + b
                let blockRows = max(block * perBlock, rows.lowerBound)..<min((block + 1) * perBlock, rows.upperBound)
                recursion.run(block: block, rows: blockRows, segments: segments, into: destination)
            }
        }
    }
}
