import LinearAlgebra
import CNumerics

/// Where the readouts go: per readout depth, one optional pointer per kernel kind (nngp, ntk,
/// head, body; nil = not asked for). Entry (i, j) of a kernel is stored at
/// `base + (i − firstRow)·rowStride + (j − firstColumn)·columnStride`, so a block of rows, or a
/// transposed block, can be written in place.
struct KernelDestination: @unchecked Sendable {
    let bases: [[UnsafeMutablePointer<Double>?]]
    let firstRow: Int
    let rowStride: Int
    let firstColumn: Int
    let columnStride: Int

    /// The transposed view: entry (i, j) goes where (j, i) would.
    var transposed: KernelDestination {
        KernelDestination(bases: bases, firstRow: firstColumn, rowStride: columnStride,
                          firstColumn: firstRow, columnStride: rowStride)
    }
}

/// The recursion of `LayerRecursion` run for pairs (x_i, x_j) of row segments, through every
/// layer, in buffers that stay in cache.
///
/// Every entry is computed the same way whichever rows or columns are asked for, so that a
/// block of rows is bit-identical to those rows of the whole matrix:
/// - inner products come from one BLAS call per tile keyed to absolute indices (rows
///   32m…32m+31, columns 256t…256t+255, from column 32m on in a symmetric call), whatever the
///   request;
/// - a row's segment starts at a multiple of 4 (at ⌊i/4⌋·4 in a symmetric call) and ends at a
///   multiple of 4 or at the last column, so each column falls in the same 4-wide vector lane
///   or scalar tail of the dual maps.
struct RowRecursion: Sendable {
    let geometry: InputGeometry
    let layers: LayerRecursion
    let dual: DualActivation
    let diagonal1: DiagonalRecursion
    let diagonal2: DiagonalRecursion
    let readoutDepths: [Int]
    let deepest: Int
    /// Per row of X1: the first depth whose readout was not finite (0 if none).
    let overflow: SharedPointer<Int>
    /// The readouts as functions of the first layer's angle, where they apply (bias-free ABReLU
    /// in NTK parameterization, readouts at depth 2 and deeper): then a pair goes through the
    /// layers one by one only if it is within 10⁻⁶ of parallel or antipodal.
    let angular: AngularReadout?

    init(geometry: InputGeometry, layers: LayerRecursion, dual: DualActivation, diagonal1: DiagonalRecursion,
         diagonal2: DiagonalRecursion, readoutDepths: [Int], deepest: Int, overflow: SharedPointer<Int>,
         angularTables: Bool) {
        self.geometry = geometry
        self.layers = layers
        self.dual = dual
        self.diagonal1 = diagonal1
        self.diagonal2 = diagonal2
        self.readoutDepths = readoutDepths
        self.deepest = deepest
        self.overflow = overflow
        angular = angularTables ? AngularReadout(layers: layers, dual: dual, readoutDepths: readoutDepths) : nil
    }

    /// Rows whose inner products one BLAS call computes, and its columns.
    static let rowsPerProduct = 32
    static let columnsPerProduct = 256
    /// Segment starts and ends are multiples of this (the dual maps' vector width).
    static let lane = 4

    /// The columns a row's recursion covers and those it writes, for `rows` of one block.
    struct Segments: Sendable {
        /// Columns computed: [max(natural start, from), to).
        let from: Int
        let to: Int
        /// Columns written: [max(natural first written column, writeFrom), writeTo).
        let writeFrom: Int
        let writeTo: Int
    }

    var width: Int { geometry.count2 }

    /// The first column row i computes in a whole-matrix call (symmetric: from the diagonal,
    /// rounded down to a lane boundary).
    func naturalStart(_ i: Int) -> Int { geometry.isSymmetric ? i / Self.lane * Self.lane : 0 }

    /// Runs the rows `rows` (all within the product block `block`) into `destination`.
    func run(block: Int, rows: Range<Int>, segments: Segments, into destination: KernelDestination) {
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 6 * width)
        defer { scratch.deallocate() }
        // The columns whose first-layer det must be recomputed (see `loadFirstLayer`).
        let recompute = UnsafeMutablePointer<Int>.allocate(capacity: max(width, 1))
        defer { recompute.deallocate() }
        let blockRows = (block * Self.rowsPerProduct)..<min(geometry.count1, (block + 1) * Self.rowsPerProduct)
        let firstNeeded = max(naturalStart(rows.lowerBound), segments.from)
        guard firstNeeded < segments.to else { return }
        // The product tiles that cover the segments, and no more (a tile of a 2-D layout needs a few).
        let tile = Self.columnsPerProduct
        let stored = (firstNeeded / tile * tile)..<min(width, (segments.to + tile - 1) / tile * tile)
        var products = Matrix(rows: blockRows.count, columns: stored.count)
        geometry.innerProducts(rowBlock: blockRows, columns: firstNeeded..<segments.to,
                               tileWidth: tile, into: &products, bufferFirstColumn: stored.lowerBound)
        products.withUnsafeBufferPointer { g in
            for i in rows {
                let start = max(naturalStart(i), segments.from)
                guard start < segments.to else { continue }
                let row = g.baseAddress! + (i - blockRows.lowerBound) * stored.count + (start - stored.lowerBound)
                let written = max(geometry.isSymmetric ? i : 0, segments.writeFrom)..<segments.writeTo
                run(row: i, innerProducts: row, start: start, end: segments.to, written: written,
                    scratch: scratch, recompute: recompute, destination: destination)
            }
        }
    }

    private func run(row i: Int, innerProducts: UnsafePointer<Double>, start: Int, end: Int, written: Range<Int>,
                     scratch: UnsafeMutablePointer<Double>, recompute: UnsafeMutablePointer<Int>,
                     destination: KernelDestination) {
        guard let angular else {
            return runLayers(row: i, innerProducts: innerProducts, start: start, end: end, written: written,
                             scratch: scratch, recompute: recompute, destination: destination)
        }
        let count = end - start
        let sigma = scratch, theta = scratch + width, det = scratch + 4 * width
        let diagonal = geometry.isSymmetric && start <= i && i < end ? i - start : nil
        let recomputed = loadFirstLayer(row: i, innerProducts: innerProducts, start: start, count: count,
                                        diagonal: diagonal, sigma: sigma, theta: theta, determinant: det, recompute: recompute)
        writeAngularReadouts(angular, row: i, start: start, end: end, written: written, diagonal: diagonal,
                             sigma: sigma, determinant: det, scratch: (nngp: scratch + 2 * width, body: scratch + 3 * width),
                             destination: destination)
        let near = nearParallelPairs(row: i, start: start, among: UnsafeBufferPointer(start: recompute, count: recomputed),
                                     determinant: det)
        // The depths without a table: the whole segment through the layers, writing only those.
        let layered = angular.tables.map { $0 == nil }
        if layered.contains(true) {
            runLayers(row: i, innerProducts: innerProducts, start: start, end: end, written: written, scratch: scratch,
                      recompute: recompute, destination: destination, writing: layered)
        }
        // Pairs within 10⁻⁶ of parallel or antipodal: through the layers, each alone, every depth.
        for k in near where k != diagonal && written.contains(start + k) {
            runLayers(row: i, innerProducts: innerProducts + k, start: start + k, end: start + k + 1, written: written,
                      scratch: scratch, recompute: recompute, destination: destination)
        }
    }

    /// The layer-by-layer recursion of row i over the segment `start..<end`, writing `written`:
    /// the readouts whose entry in `writing` is true (all if nil), through the deepest of them.
    private func runLayers(row i: Int, innerProducts: UnsafePointer<Double>, start: Int, end: Int, written: Range<Int>,
                           scratch: UnsafeMutablePointer<Double>, recompute: UnsafeMutablePointer<Int>,
                           destination: KernelDestination, writing: [Bool]? = nil) {
        let deepest = writing.map { w in readoutDepths.indices.last { w[$0] }.map { readoutDepths[$0] }! } ?? self.deepest
        let count = end - start
        let sigma = scratch, theta = scratch + width, hat = scratch + 2 * width, dot = scratch + 3 * width
        var det = scratch + 4 * width, nextDet = scratch + 5 * width
        // The diagonal pair's place in the segment, if it is in it.
        let diagonal = geometry.isSymmetric && start <= i && i < end ? i - start : nil
        loadFirstLayer(row: i, innerProducts: innerProducts, start: start, count: count, diagonal: diagonal,
                       sigma: sigma, theta: theta, determinant: dual.carriesDeterminant ? det : nil, recompute: recompute)
        var readout = 0
        for l in 1...deepest {
            let carry = dual.carriesDeterminant && l < deepest
            let readsOut = readout < readoutDepths.count && readoutDepths[readout] == l
            if carry && !readsOut, layers.standardWidth == nil, case let .abReLU(a, b) = dual.form {
                fusedHiddenLayer(l, a: a, b: b, row: i, start: start, count: count, diagonal: diagonal,
                                 sigma: sigma, determinant: det, theta: theta, nextDeterminant: nextDet)
                swap(&det, &nextDet)
                continue
            }
            dual.pairs(row: i, of: diagonal1.layers[l - 1], columns: start, count: count, of: diagonal2.layers[l - 1],
                       sigma: sigma, determinant: dual.carriesDeterminant ? det : nil, sigmaHat: hat, sigmaDot: dot,
                       nextDeterminant: carry ? nextDet : nil,
                       weightVariance: layers.weightVariance, biasVariance: layers.biasVariance)
            if let k = diagonal {
                // The exact diagonal maps, the same values that produced q^{l+1}.
                hat[k] = diagonal1.layers[l - 1].hat[i]
                dot[k] = diagonal1.layers[l - 1].dot[i]
                if carry { nextDet[k] = 0 }
            }
            if readout < readoutDepths.count && readoutDepths[readout] == l {
                let columns = max(written.lowerBound, start)..<min(written.upperBound, end)
                if !columns.isEmpty && writing?[readout] != false {
                    writeReadout(index: readout, depth: l, row: i, columns: columns, segmentStart: start,
                                 hat: hat, dot: dot, theta: theta, destination: destination)
                }
                readout += 1
            }
            if l < deepest {
                hiddenStep(count: count, hat: hat, dot: dot, sigma: sigma, theta: theta)
                if carry { swap(&det, &nextDet) }
            }
        }
    }

    /// Layer l of an ABReLU network in NTK parameterization that reads nothing out: the dual map
    /// and `hiddenStep` in one pass in the C target (the same bits), then the diagonal pair's
    /// exact maps as in the unfused path.
    private func fusedHiddenLayer(_ l: Int, a: Double, b: Double, row i: Int, start: Int, count: Int, diagonal: Int?,
                                  sigma: UnsafeMutablePointer<Double>, determinant: UnsafeMutablePointer<Double>,
                                  theta: UnsafeMutablePointer<Double>, nextDeterminant: UnsafeMutablePointer<Double>) {
        let w = layers.weightVariance, v = layers.biasVariance
        let thetaBefore = diagonal.map { theta[$0] }
        diagonal2.layers[l - 1].root.withUnsafeBufferPointer { roots in
            ntkb_abrelu_hidden_layer(count, a, b, w, v, diagonal1.layers[l - 1].root[i], roots.baseAddress! + start,
                                     sigma, determinant, theta, nextDeterminant)
        }
        if let k = diagonal, let thetaBefore {
            let next = w * diagonal1.layers[l - 1].hat[i] + v
            theta[k] = next + w * diagonal1.layers[l - 1].dot[i] * thetaBefore
            sigma[k] = next
            nextDeterminant[k] = 0
        }
    }

    /// Σ^{l+1} = σ_w²·Σ̂ + σ_b² and Θ^{l+1} = (own part) + σ_w²·Σ̇·Θ^l over a segment, with the
    /// parameterization's branch hoisted out of the loop (the arithmetic of `LayerRecursion`'s
    /// `nextCovariance` and `ownTangent`, term for term).
    private func hiddenStep(count: Int, hat: UnsafeMutablePointer<Double>, dot: UnsafeMutablePointer<Double>,
                            sigma: UnsafeMutablePointer<Double>, theta: UnsafeMutablePointer<Double>) {
        let w = layers.weightVariance, v = layers.biasVariance
        if let h = layers.standardWidth {
            for k in 0..<count {
                let next = w * hat[k] + v
                theta[k] = (h * hat[k] + 1) + w * dot[k] * theta[k]
                sigma[k] = next
            }
        } else {
            for k in 0..<count {
                let next = w * hat[k] + v
                theta[k] = next + w * dot[k] * theta[k]
                sigma[k] = next
            }
        }
    }

    /// Σ¹, Θ¹ and (for the ABReLU family) det¹ of the row segment.
    /// Returns how many places k (listed in `recompute`, the diagonal pair's included) had their
    /// det¹ recomputed because sin²θ¹ fell below `InputGeometry.recomputeBelow` (NTK
    /// parameterization, the path of the angular tables; 0 otherwise).
    @discardableResult
    private func loadFirstLayer(row i: Int, innerProducts g: UnsafePointer<Double>, start: Int, count: Int, diagonal: Int?,
                                sigma: UnsafeMutablePointer<Double>, theta: UnsafeMutablePointer<Double>,
                                determinant: UnsafeMutablePointer<Double>?, recompute: UnsafeMutablePointer<Int>) -> Int {
        let q1 = diagonal1.layers[0].variance[i]
        if layers.standardWidth == nil {
            // NTK parameterization: Σ¹, Θ¹ = Σ¹ and the naive det¹ in one pass in the C target, the
            // same arithmetic as the loops below; det¹ is recomputed where it cancelled.
            let found = diagonal2.layers[0].variance.withUnsafeBufferPointer { q2 in
                ntkb_first_layer(count, layers.firstScale, layers.firstShift, q1, q2.baseAddress! + start, g,
                                 InputGeometry.recomputeBelow, sigma, theta, determinant, recompute)
            }
            if let determinant {
                // The diagonal pair's det is never read (its maps are the exact diagonal ones and
                // its next det is 0): it is set to 0 instead of recomputed.
                for k in UnsafeBufferPointer(start: recompute, count: found) where k != diagonal {
                    determinant[k] = geometry.accurateDeterminant(i, start + k, a: layers.firstScale, b: layers.firstShift)
                }
                if let k = diagonal { determinant[k] = 0 }
            }
            if let k = diagonal {
                sigma[k] = q1
                theta[k] = layers.firstTangent(innerProduct: geometry.squaredNorms1[i], covariance: q1)
            }
            return found
        }
        for k in 0..<count {
            sigma[k] = layers.firstCovariance(innerProduct: g[k])
            theta[k] = layers.firstTangent(innerProduct: g[k], covariance: sigma[k])
        }
        if let k = diagonal {
            // The diagonal pair takes the exact variance, and det = 0.
            sigma[k] = q1
            theta[k] = layers.firstTangent(innerProduct: geometry.squaredNorms1[i], covariance: q1)
        }
        guard let determinant else { return 0 }
        diagonal2.layers[0].variance.withUnsafeBufferPointer { q2 in
            for k in 0..<count {
                let product = q1 * q2[start + k]
                let naive = product - sigma[k] * sigma[k]
                determinant[k] = naive >= InputGeometry.recomputeBelow * product ? naive
                    : geometry.accurateDeterminant(i, start + k, a: layers.firstScale, b: layers.firstShift)
            }
        }
        return 0
    }

    /// Writes the readouts of columns `columns` of row i (the segment starts at `segmentStart`)
    /// for every kernel kind the destination asks for.
    private func writeReadout(index: Int, depth: Int, row i: Int, columns: Range<Int>, segmentStart: Int,
                              hat: UnsafeMutablePointer<Double>, dot: UnsafeMutablePointer<Double>,
                              theta: UnsafeMutablePointer<Double>, destination: KernelDestination) {
        let bases = destination.bases[index]
        let offset = (i - destination.firstRow) * destination.rowStride
        let stride = destination.columnStride
        func target(_ kind: Int) -> UnsafeMutablePointer<Double>? {
            bases[kind].map { $0 + offset + (columns.lowerBound - destination.firstColumn) * stride }
        }
        let (nngp, ntk, head, body) = (target(0), target(1), target(2), target(3))
        let (hat, dot, theta) = (hat + (columns.lowerBound - segmentStart), dot + (columns.lowerBound - segmentStart),
                                 theta + (columns.lowerBound - segmentStart))
        let rw = layers.readoutWeightVariance, rb = layers.readoutBiasVariance
        if stride == 1 && layers.standardWidth == nil && head == nil && body == nil, let nngp, let ntk {
            // The common case (NTK parameterization, NNGP and NTK written in place): h = 𝒦, Θ = h + b,
            // the arithmetic of the general loop below in the C target.
            let finite = ntkb_ntk_readout(columns.count, rw, rb, hat, dot, theta, nngp, ntk) != 0
            if !finite && overflow.base[i] == 0 { overflow.base[i] = depth }
            return
        }
        var finite = true
        for k in 0..<columns.count {
            let n = rw * hat[k] + rb
            let b = rw * dot[k] * theta[k]
            let h = layers.headKernel(hat: hat[k], nngp: n)
            nngp?[k * stride] = n
            body?[k * stride] = b
            head?[k * stride] = h
            ntk?[k * stride] = h + b
            finite = finite && (h + b).isFinite && n.isFinite
        }
        if !finite && overflow.base[i] == 0 { overflow.base[i] = depth }
    }
}
