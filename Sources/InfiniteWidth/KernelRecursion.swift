import LinearAlgebra

/// The kernels a computation writes (any subset of the four).
public struct KernelKinds: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let nngp = KernelKinds(rawValue: 1)
    public static let ntk = KernelKinds(rawValue: 2)
    public static let head = KernelKinds(rawValue: 4)
    public static let body = KernelKinds(rawValue: 8)
    public static let all: KernelKinds = [.nngp, .ntk, .head, .body]

    /// The kinds in the fixed order nngp, ntk, head, body, with their names.
    public static let ordered: [(kind: KernelKinds, name: String)] = [(.nngp, "nngp"), (.ntk, "ntk"), (.head, "head"), (.body, "body")]

    public var names: [String] { Self.ordered.filter { contains($0.kind) }.map(\.name) }
}

/// How a whole symmetric kernel (X2 omitted, all rows) is left in the caller's storage.
public enum SymmetricStorage: Sendable {
    /// Every entry, the lower triangle mirrored from the upper one.
    case full
    /// The entries (i, j) with j ≥ i only (LAPACK's uplo = 'U'); those below the diagonal are
    /// not written, so their memory is never touched. `Matrix.expandUpperTriangle` gives whole rows.
    case upperTriangle
}

/// The NNGP/NTK recursion of theory.md §1 for one architecture (a convolutional architecture
/// is dispatched to `ConvolutionalKernels`).
///
/// Every pair (x_i, x_j) runs through all layers on its own once the per-point variances q^l are
/// known, so the recursion works row by row in cache-sized buffers, in parallel, and writes only
/// the readouts that were asked for: a depth sweep costs one pass to the deepest depth. A
/// symmetric call (X2 omitted) computes the upper triangle, uses the exact diagonal maps on
/// the diagonal, and mirrors the result. Any block of rows computed alone is bit-identical to
/// those rows of the whole matrix (see `RowRecursion`).
public struct KernelRecursion: Sendable {
    public let architecture: Architecture
    public let quadrature: QuadratureRule
    /// Whether a bias-free ABReLU network in NTK parameterization reads out through the first
    /// layer's angle (`AngularReadout`, Docs/kernels.md "Bias-free networks") where its tables
    /// pass their check; false runs every pair through the layers (for comparisons).
    public let angularTables: Bool
    let dual: DualActivation

    public init(_ architecture: Architecture, quadrature: QuadratureRule = .trapezoid, angularTables: Bool = true) {
        self.architecture = architecture
        self.quadrature = quadrature
        self.angularTables = angularTables
        dual = DualActivation(architecture.activation, quadrature: quadrature)
    }

    /// Whether every readout at `depths` of inputs of dimension `inputDimension` comes from the
    /// angular tables (see `angularTables`; each depth is decided on its own).
    public func readsOutFromAngles(inputDimension: Int, depths: [Int]) -> Bool {
        guard angularTables, architecture.convolution == nil, !depths.isEmpty else { return false }
        let tables = AngularReadout(layers: LayerRecursion(architecture, inputDimension: inputDimension), dual: dual,
                                    readoutDepths: Array(Set(depths)).sorted())?.tables
        return tables?.allSatisfy { $0 != nil } ?? false
    }

    /// The kernels at `architecture.depth` between the rows of `x1` and of `x2`
    /// (of `x1` with itself when `x2` is nil).
    public func kernels(_ x1: Matrix, _ x2: Matrix? = nil) throws -> NetworkKernels {
        try kernels(x1, x2, depths: [architecture.depth])[0]
    }

    /// The kernels at every depth in `depths` (`architecture.depth` is ignored), in that order,
    /// from one pass through the layers.
    public func kernels(_ x1: Matrix, _ x2: Matrix? = nil, depths: [Int]) throws -> [NetworkKernels] {
        try kernels(x1, x2, depths: depths, rows: 0..<x1.rows)
    }

    /// Rows `rows` (all columns) of each kernel at every depth in `depths`: a
    /// rows.count × (X2 rows) matrix per kernel, bit-identical to those rows of the whole call.
    ///
    /// `kinds` limits the work and memory to the kernels a caller reads (a predictor needs one
    /// or two of the four); the others are empty 0 × 0 matrices. In NTK parameterization the
    /// head kernel is the NNGP kernel: asking for either computes one matrix that serves both.
    public func kernels(_ x1: Matrix, _ x2: Matrix? = nil, depths: [Int], rows: Range<Int>,
                        kinds requested: KernelKinds = .all) throws -> [NetworkKernels] {
        try validate(x1, x2, depths: depths, rows: rows)
        precondition(!requested.isEmpty, "at least one kernel kind must be asked for")
        let readoutDepths = Array(Set(depths)).sorted()
        if architecture.convolution != nil {
            let byDepth = try convolutionalKernels(x1, x2, depths: readoutDepths, rows: rows)
            return depths.map { byDepth[$0]! }
        }
        let headIsNNGP = LayerRecursion(architecture, inputDimension: x1.columns).headIsNNGP
        var kinds = requested
        if headIsNNGP && !kinds.isDisjoint(with: [.nngp, .head]) { kinds.subtract(.head); kinds.insert(.nngp) }
        let ordered = KernelKinds.ordered.filter { kinds.contains($0.kind) }.map(\.kind)
        let width = x2?.rows ?? x1.rows
        let perDepth = ordered.count
        let outputs = try Matrix.producing(perDepth * readoutDepths.count, rows: rows.count, columns: width) { pointers in
            try compute(x1, x2, depths: readoutDepths, kinds: kinds, rows: rows) { depthIndex, kind in
                pointers[perDepth * depthIndex + ordered.firstIndex(of: kind)!]
            }
        }
        let empty = Matrix(rows: 0, columns: 0)
        let byDepth = Dictionary(uniqueKeysWithValues: readoutDepths.enumerated().map { k, depth in
            func matrix(_ kind: KernelKinds) -> Matrix {
                let kind = kind == .head && headIsNNGP ? KernelKinds.nngp : kind
                return ordered.firstIndex(of: kind).map { outputs[perDepth * k + $0] } ?? empty
            }
            return (depth, NetworkKernels(depth: depth, nngp: matrix(.nngp), ntk: matrix(.ntk),
                                          head: matrix(.head), body: matrix(.body)))
        })
        return depths.map { byDepth[$0]! }
    }

    /// Computes rows `rows` of the kernels `kinds` at the sorted, distinct `depths` into storage
    /// the caller provides: `storage(depthIndex, kind)` is a row-major rows.count × (X2 rows)
    /// buffer (uninitialized is fine: every entry is written, except below the diagonal of a
    /// whole symmetric kernel kept as `.upperTriangle`). Throws before any work if the inputs
    /// cannot be used, and after it if a kernel overflowed.
    public func compute(_ x1: Matrix, _ x2: Matrix?, depths: [Int], kinds: KernelKinds, rows: Range<Int>,
                        symmetricStorage: SymmetricStorage = .full,
                        storage: (Int, KernelKinds) throws -> UnsafeMutablePointer<Double>) throws {
        try validate(x1, x2, depths: depths, rows: rows)
        precondition(depths == Array(Set(depths)).sorted(), "depths must be sorted and distinct")
        if architecture.convolution != nil {
            let byDepth = try convolutionalKernels(x1, x2, depths: depths, rows: rows)
            for (k, depth) in depths.enumerated() {
                let kernels = byDepth[depth]!
                for (kind, matrix) in [(KernelKinds.nngp, kernels.nngp), (.ntk, kernels.ntk), (.head, kernels.head),
                                       (.body, kernels.body)] where kinds.contains(kind) {
                    let target = try storage(k, kind)
                    matrix.withUnsafeBufferPointer { target.update(from: $0.baseAddress!, count: $0.count) }
                }
            }
            return
        }
        let geometry = InputGeometry(x1: x1, x2: x2)
        let layers = LayerRecursion(architecture, inputDimension: x1.columns)
        let deepest = depths.last!
        let diagonal1 = DiagonalRecursion(squaredNorms: geometry.squaredNorms1, depth: deepest, layers: layers, dual: dual)
        let diagonal2 = geometry.isSymmetric ? diagonal1
            : DiagonalRecursion(squaredNorms: geometry.squaredNorms2, depth: deepest, layers: layers, dual: dual)
        let (n1, n2) = (geometry.count1, geometry.count2)
        var bases: [[UnsafeMutablePointer<Double>?]] = []
        for k in depths.indices {
            bases.append(try KernelKinds.ordered.map { kinds.contains($0.kind) ? try storage(k, $0.kind) : nil })
        }
        let destination = KernelDestination(bases: bases, firstRow: rows.lowerBound, rowStride: n2, firstColumn: 0, columnStride: 1)
        var overflowDepth = [Int](repeating: 0, count: n1)
        overflowDepth.withUnsafeMutableBufferPointer { overflow in
            let recursion = RowRecursion(geometry: geometry, layers: layers, dual: dual,
                                         diagonal1: diagonal1, diagonal2: diagonal2,
                                         readoutDepths: depths, deepest: deepest, overflow: .init(overflow.baseAddress!),
                                         angularTables: angularTables)
            // All work on the workers: OpenBLAS single-threaded inside them, so that no BLAS
            // thread spins for work beside them.
            BLASBackend.withThreadCount(1) {
                RowPlan(recursion: recursion, rows: rows).run(into: destination, fillLeftOfRows: symmetricStorage == .full)
            }
        }
        if let depth = overflowDepth.filter({ $0 > 0 }).min() {
            throw KernelInputError.nonFiniteKernel(
                depth: depth, hint: "reduce the weight or bias standard deviations, the input scale, or the depth")
        }
    }

    /// The whole symmetric kernels of `x` in upper-triangle storage (as `compute(x, nil, …,
    /// rows: 0..<n, symmetricStorage: .upperTriangle)`, bit for bit) in bands of `bandRows` rows
    /// from the top: each band's rows are computed from the diagonal on (both cores) and handed
    /// to `bandFinished`, so the caller can expand and write a band (`Matrix.expandUpperTriangle`
    /// reads only rows already handed over) while the next one is computed. Only for fully
    /// connected architectures whose row blocks are bit-identical (`supportsBands`). Throws
    /// after the last band if a kernel overflowed.
    public func computeInBands(_ x: Matrix, depths: [Int], kinds: KernelKinds, bandRows: Int,
                               storage: (Int, KernelKinds) throws -> UnsafeMutablePointer<Double>,
                               bandFinished: (Range<Int>) throws -> Void) throws {
        precondition(supportsBands, "bands need a fully connected architecture with bit-identical row blocks")
        precondition(bandRows > 0 && bandRows % RowRecursion.rowsPerProduct == 0, "bands are whole product blocks")
        try validate(x, nil, depths: depths, rows: 0..<x.rows)
        precondition(depths == Array(Set(depths)).sorted(), "depths must be sorted and distinct")
        let geometry = InputGeometry(x1: x, x2: nil)
        let layers = LayerRecursion(architecture, inputDimension: x.columns)
        let diagonal = DiagonalRecursion(squaredNorms: geometry.squaredNorms1, depth: depths.last!, layers: layers, dual: dual)
        let n = geometry.count1
        var bases: [[UnsafeMutablePointer<Double>?]] = []
        for k in depths.indices {
            bases.append(try KernelKinds.ordered.map { kinds.contains($0.kind) ? try storage(k, $0.kind) : nil })
        }
        let destination = KernelDestination(bases: bases, firstRow: 0, rowStride: n, firstColumn: 0, columnStride: 1)
        var overflowDepth = [Int](repeating: 0, count: n)
        try overflowDepth.withUnsafeMutableBufferPointer { overflow in
            let recursion = RowRecursion(geometry: geometry, layers: layers, dual: dual, diagonal1: diagonal, diagonal2: diagonal,
                                         readoutDepths: depths, deepest: depths.last!, overflow: .init(overflow.baseAddress!),
                                         angularTables: angularTables)
            for start in stride(from: 0, to: n, by: bandRows) {
                let band = start..<min(n, start + bandRows)
                BLASBackend.withThreadCount(1) {
                    RowPlan(recursion: recursion, rows: band).run(into: destination, fillLeftOfRows: false)
                }
                try bandFinished(band)
            }
        }
        if let depth = overflowDepth.filter({ $0 > 0 }).min() {
            throw KernelInputError.nonFiniteKernel(
                depth: depth, hint: "reduce --w-std, --b-std or the input scale, or the depth")
        }
    }

    /// Whether `computeInBands` applies: a fully connected architecture whose row blocks are
    /// bit-identical to the whole matrix.
    public var supportsBands: Bool { architecture.convolution == nil && rowBlocksAreBitIdentical }

    /// Rows `rows` of the convolutional kernels (`ConvolutionalKernels`) at the sorted, distinct
    /// `depths`. The engine computes whole matrices; a row range is cut from the whole symmetric
    /// matrix (so that its diagonal stays exact), or computed directly for a cross kernel.
    private func convolutionalKernels(_ x1: Matrix, _ x2: Matrix?, depths: [Int], rows: Range<Int>) throws -> [Int: NetworkKernels] {
        let engine = ConvolutionalKernels(architecture, architecture.convolution!, quadrature: quadrature)
        if rows == 0..<x1.rows { return try engine.kernels(x1, x2, readoutDepths: depths) }
        guard let x2 else {
            return try engine.kernels(x1, nil, readoutDepths: depths)
                .mapValues { $0.block(rows: rows, columns: 0..<x1.rows) }
        }
        return try engine.kernels(x1.rows(rows), x2, readoutDepths: depths)
    }

    func validate(_ x1: Matrix, _ x2: Matrix?, depths: [Int], rows: Range<Int>) throws {
        guard !depths.isEmpty, depths.allSatisfy({ $0 >= 1 }) else { throw KernelInputError.invalidDepths(depths) }
        for (name, x) in [("X1", x1), ("X2", x2)] {
            guard let x else { continue }
            guard x.rows > 0 else { throw KernelInputError.noPoints(set: name) }
            guard x.columns > 0 else { throw KernelInputError.noFeatures(set: name) }
            if let (row, column) = x.firstNonFinite() {
                throw KernelInputError.nonFiniteInput(set: name, row: row, column: column)
            }
        }
        if let x2, x2.columns != x1.columns {
            throw KernelInputError.dimensionMismatch(firstSet: "X1", firstDimension: x1.columns,
                                                     secondSet: "X2", secondDimension: x2.columns)
        }
        guard rows.lowerBound >= 0, rows.upperBound <= x1.rows, !rows.isEmpty else {
            throw KernelInputError.invalidRows(rows, count: x1.rows)
        }
    }
}

/// The work of one request, split into row blocks run on all cores:
/// - the rows asked for, each from its natural segment start (in a symmetric call, the
///   diagonal rounded down to a lane), writing the columns from the diagonal on;
/// - in a symmetric call for part of the rows, the entries left of the diagonal: (i, j) with
///   j < i is the mirror of (j, i), computed as row j would compute it in the whole call
///   (row j's segment cut to the lane-aligned columns of the request) and written transposed;
///   inside the requested rows they are copied from the rows already computed.
struct RowPlan {
    let recursion: RowRecursion
    let rows: Range<Int>

    /// Runs the plan; `fillLeftOfRows: false` leaves a symmetric call's entries left of the
    /// diagonal in the requested rows unwritten (the caller mirrors them).
    func run(into destination: KernelDestination, fillLeftOfRows: Bool = true) {
        let geometry = recursion.geometry
        let (n1, n2) = (geometry.count1, geometry.count2)
        let perBlock = RowRecursion.rowsPerProduct
        let blocks = (rows.lowerBound / perBlock)..<((rows.upperBound - 1) / perBlock + 1)
        let symmetric = geometry.isSymmetric
        let own = RowRecursion.Segments(from: 0, to: n2, writeFrom: 0, writeTo: n2)
        let requested = rows
        // A whole symmetric call mirrors each block's rows onto their columns below the block
        // while those rows are still in cache (one pass over the outputs instead of two).
        let mirror = symmetric && rows == 0..<n1 && fillLeftOfRows
            ? destination.bases.joined().compactMap { $0 }.map { SharedPointer($0) } : []
        ParallelLoop.forEachGuidedChunk(count: blocks.count, cost: { Double(symmetric ? n2 - (blocks.lowerBound + $0) * perBlock : n2) }) {
            for b in $0 {
                let block = blocks.lowerBound + b
                let blockRows = max(block * perBlock, requested.lowerBound)..<min((block + 1) * perBlock, requested.upperBound)
                recursion.run(block: block, rows: blockRows, segments: own, into: destination)
                if !mirror.isEmpty { Self.mirrorBelow(blockRows, of: mirror, size: n1) }
            }
        }
        if !mirror.isEmpty { return }
        guard symmetric, rows != 0..<n1, fillLeftOfRows else { return }
        // Inside the requested rows: (i, j), rows.lowerBound ≤ j < i, from row j's computation.
        let lane = RowRecursion.lane
        let copy = SharedDestination(destination)
        ParallelLoop.forEachChunk(count: rows.count) {
            for offset in $0 {
                let i = requested.lowerBound + offset
                for j in requested.lowerBound..<i { copy.copyMirror(row: i, column: j) }
            }
        }
        // Left of the requested rows: (i, j), j < rows.lowerBound, from row j cut to the columns.
        guard rows.lowerBound > 0 else { return }
        let columns = RowRecursion.Segments(from: rows.lowerBound / lane * lane,
                                            to: min(n2, (rows.upperBound + lane - 1) / lane * lane),
                                            writeFrom: rows.lowerBound, writeTo: rows.upperBound)
        let transposed = destination.transposed
        let earlier = 0..<((rows.lowerBound - 1) / perBlock + 1)
        ParallelLoop.forEachChunk(count: earlier.count) {
            for block in $0 {
                let blockRows = (block * perBlock)..<min((block + 1) * perBlock, rows.lowerBound)
                recursion.run(block: block, rows: blockRows, segments: columns, into: transposed)
            }
        }
    }
}

extension RowPlan {
    /// Copies (i, j) onto (j, i) for the rows i of `band` and every column j > i of each
    /// row-major n × n matrix, in 32 × 32 tiles. Writes only columns of `band` in rows below
    /// its first row, which no other band's rows write in a symmetric call (row j writes
    /// columns ≥ j), so bands may be mirrored concurrently as soon as each is computed.
    static func mirrorBelow(_ band: Range<Int>, of matrices: [SharedPointer<Double>], size n: Int) {
        let tile = 32
        for a in matrices {
            for j0 in stride(from: band.lowerBound, to: n, by: tile) {
                // Row j of the lower triangle gets a contiguous run of the band's columns.
                for j in j0..<min(j0 + tile, n) {
                    let target = a.base + j &* n
                    for i in band.lowerBound..<min(band.upperBound, j) { target[i] = a.base[i &* n &+ j] }
                }
            }
        }
    }
}

/// The destination, for copying mirrored entries inside a block of rows.
private struct SharedDestination: @unchecked Sendable {
    let destination: KernelDestination
    init(_ destination: KernelDestination) { self.destination = destination }

    func copyMirror(row i: Int, column j: Int) {
        let d = destination
        for base in d.bases.joined().compactMap({ $0 }) {
            base[(i - d.firstRow) * d.rowStride + (j - d.firstColumn) * d.columnStride] =
                base[(j - d.firstRow) * d.rowStride + (i - d.firstColumn) * d.columnStride]
        }
    }
}

extension KernelRecursion {
    /// Whether rows computed on their own (`kernels(_:_:depths:rows:)`, the blocks of
    /// `--memory-limit`) are bit-identical to those rows of the whole matrix. True for every
    /// closed-form activation and for the convolutional engine. A truncated Hermite series (tanh,
    /// sigmoid, softplus, SiLU, ELU, SELU) picks the truncation of its vectorized pass from the
    /// largest |ρ| of each run of pairs, so its row blocks agree with the whole matrix to round-off
    /// (about 1e-16 relative), not bit for bit.
    public var rowBlocksAreBitIdentical: Bool {
        if architecture.convolution != nil { return true }
        if case .hermiteSeries = dual.form { return false }
        return true
    }
}
