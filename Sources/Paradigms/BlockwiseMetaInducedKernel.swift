import FewShot
import InfiniteWidth
import LinearAlgebra

/// Φ assembled from bands of Θ computed on demand, never holding Θ (theory.md §4): the same
/// entries as `MetaInducedKernel.matrix(ntk:points:adaptations:)` by the same products, for
/// `MetaTrainedGBML.predictions(tasks:blocks:settings:)`.
///
/// Θ is symmetric, so only its upper band is computed: for a band of training tasks I with
/// stacked rows R, the rows Θ(R, j ≥ R) (one `TaskKernelBlocks` block, in a worker's buffer).
/// From it, with L_i = A_i·Θ(X̄_i, ·) = Θ(X_i, ·) − B_i·Θ(X'_i, ·),
/// - the block rows of I right of the band's start: Φ_ij = L_i(·, X_j) − L_i(·, X'_j)·B_jᵀ, j ≥ I;
/// - the block columns of I below the band: Φ_ji for every later task j, from L_j on the
///   band's columns, Θ(X̄_j, R) being the transpose of the band's block (exactly: Θ is mirrored);
/// - the columns R of Θ(X̄_test, 𝒳̄), the rows f_meta reads at test time.
/// Each entry of Φ is then the same sum as in the whole-matrix assembly; Φ is symmetrized as
/// there. Memory: Φ (N·n)², Θ(X̄_test, 𝒳̄) and about 11 MB per worker, instead of Θ's P².
extension MetaInducedKernel {
    /// Training tasks per band: 4 tasks of 20 points make bands of 80 rows (a few product blocks
    /// of the kernel engine), buffers of a few MB, and about 50 work items to balance.
    static let tasksPerBand = 4

    /// Φ for the training tasks (before diagonal regularization) and Θ(X̄_test, 𝒳̄), the kernel
    /// rows of every test point against the stacked training points.
    public static func matrixAndTestRows(blocks: TaskKernelBlocks, adaptations: [TaskAdaptation]) throws
        -> (metaInducedKernel: Matrix, testNTK: Matrix) {
        let points = blocks.points
        let plan = BandPlan(points: points, tasksPerBand: tasksPerBand)
        let sizes = [plan.maxRows * plan.pointCount, plan.maxRows * plan.pointCount, plan.maxQueryRows * plan.training,
                     plan.training * plan.maxRows, plan.size * plan.maxRows]
        let maps = adaptations.map(\.adaptedQueryMap)
        var testNTK = Matrix(rows: 0, columns: 0)
        var phi = try Matrix.producing(1, rows: plan.size, columns: plan.size) { phiPointer in
            let phiTarget = SharedPointer(phiPointer[0])
            testNTK = try Matrix.producing(1, rows: max(plan.pointCount - plan.training, 1), columns: plan.training) { testPointer in
                let testTarget = SharedPointer(testPointer[0])
                try WorkerPool.forEach(count: plan.bands.count, bufferSizes: sizes) { b, buffers in
                    let band = plan.bands[b]
                    try blocks.compute([.ntk: buffers[0]], rows: plan.rows(band), columns: plan.rows(band).lowerBound..<plan.pointCount,
                                       rowStride: plan.width(band), scratch: buffers[1])
                    plan.assembleRows(band, theta: buffers[0], l: buffers[2], maps: maps, into: phiTarget.base)
                    plan.assembleColumns(band, theta: buffers[0], transposed: buffers[3], l: buffers[4], maps: maps,
                                         into: phiTarget.base)
                    plan.copyTestRows(band, theta: buffers[0], into: testTarget.base)
                }
            }[0]
        }[0]
        phi.symmetrize()
        return (phi, testNTK)
    }
}

/// The bands of training tasks and the index arithmetic of `matrixAndTestRows`. The stacked
/// layout puts the training points 𝒳̄ first (columns 0..<training), then the test points.
struct BandPlan {
    let bands: [Range<Int>]
    let trainQuery: [Range<Int>]
    let trainSupport: [Range<Int>]
    /// starts[i]: task i's first row in Φ; starts[N] = the size of Φ.
    let starts: [Int]
    let training: Int
    let pointCount: Int
    let maxRows: Int
    let maxQueryRows: Int

    init(points: StackedPoints, tasksPerBand: Int) {
        let (query, support) = (points.trainQuery, points.trainSupport)
        let starts = query.map(\.count).reduce(into: [0]) { $0.append($0.last! + $1) }
        let bands = stride(from: 0, to: query.count, by: tasksPerBand).map { $0..<min($0 + tasksPerBand, query.count) }
        (trainQuery, trainSupport, self.starts, self.bands) = (query, support, starts, bands)
        training = points.trainingPoints.count
        pointCount = points.inputs.rows
        maxRows = bands.map { support[$0.upperBound - 1].upperBound - query[$0.lowerBound].lowerBound }.max() ?? 0
        maxQueryRows = bands.map { starts[$0.upperBound] - starts[$0.lowerBound] }.max() ?? 0
    }

    var size: Int { starts.last! }

    /// The stacked rows of the band's tasks.
    func rows(_ band: Range<Int>) -> Range<Int> { trainQuery[band.lowerBound].lowerBound..<trainSupport[band.upperBound - 1].upperBound }

    /// The band's row length: its columns run from its first row to the last point.
    func width(_ band: Range<Int>) -> Int { pointCount - rows(band).lowerBound }

    /// Φ_ij for the band's tasks i and j ≥ the band: L = A_I·Θ(X̄_I, columns ≥ R) in `l`, then
    /// block column j is L(·, X_j) − L(·, X'_j)·B_jᵀ.
    func assembleRows(_ band: Range<Int>, theta: UnsafeMutablePointer<Double>, l: UnsafeMutablePointer<Double>,
                      maps: [Matrix], into phi: UnsafeMutablePointer<Double>) {
        let first = rows(band).lowerBound, width = width(band), lWidth = training - first
        let chunkRows = starts[band.upperBound] - starts[band.lowerBound]
        for i in band {
            let target = l + (starts[i] - starts[band.lowerBound]) * lWidth
            adapt(query: trainQuery[i], support: trainSupport[i], of: theta, firstRow: first, rowStride: width,
                  columns: lWidth, map: maps[i], into: target)
        }
        let out = phi + starts[band.lowerBound] * size
        for j in band.lowerBound..<trainQuery.count {
            subtractAdapted(l, rows: chunkRows, stride: lWidth, query: shifted(trainQuery[j], first),
                            support: shifted(trainSupport[j], first), map: maps[j], into: out + starts[j])
        }
    }

    /// Φ_ji for the tasks j after the band and the band's tasks i: Θ(X̄_j, R) is the transpose of
    /// the band's columns X̄_j; L_j = A_j·Θ(X̄_j, R) for every later task in `l`, then block
    /// column i is L(·, X_i) − L(·, X'_i)·B_iᵀ.
    func assembleColumns(_ band: Range<Int>, theta: UnsafeMutablePointer<Double>, transposed: UnsafeMutablePointer<Double>,
                         l: UnsafeMutablePointer<Double>, maps: [Matrix], into phi: UnsafeMutablePointer<Double>) {
        guard band.upperBound < trainQuery.count else { return }
        let r = rows(band), width = width(band)
        let later = r.upperBound..<training
        transpose(theta + (later.lowerBound - r.lowerBound), rows: r.count, columns: later.count, rowStride: width,
                  into: transposed, targetStride: r.count)
        let laterRows = size - starts[band.upperBound]
        for j in band.upperBound..<trainQuery.count {
            adapt(query: trainQuery[j], support: trainSupport[j], of: transposed, firstRow: later.lowerBound, rowStride: r.count,
                  columns: r.count, map: maps[j], into: l + (starts[j] - starts[band.upperBound]) * r.count)
        }
        let out = phi + starts[band.upperBound] * size
        for i in band {
            subtractAdapted(l, rows: laterRows, stride: r.count, query: shifted(trainQuery[i], r.lowerBound),
                            support: shifted(trainSupport[i], r.lowerBound), map: maps[i], into: out + starts[i])
        }
    }

    /// Θ(X̄_test, R): the band's test columns, transposed into rows of the test kernel.
    func copyTestRows(_ band: Range<Int>, theta: UnsafeMutablePointer<Double>, into test: UnsafeMutablePointer<Double>) {
        let r = rows(band), width = width(band)
        transpose(theta + (training - r.lowerBound), rows: r.count, columns: pointCount - training, rowStride: width,
                  into: test + r.lowerBound, targetStride: training)
    }

    /// target[k·targetStride + c] = source[c·rowStride + k] for c < rows, k < columns, in column
    /// strips of 64 so that the strided writes stay in cache.
    private func transpose(_ source: UnsafeMutablePointer<Double>, rows: Int, columns: Int, rowStride: Int,
                           into target: UnsafeMutablePointer<Double>, targetStride: Int) {
        for k0 in stride(from: 0, to: columns, by: 64) {
            for c in 0..<rows {
                let row = source + c * rowStride
                for k in k0..<min(k0 + 64, columns) { target[k * targetStride + c] = row[k] }
            }
        }
    }

    /// Rows A·T(X̄, ·) = T(X, ·) − B·T(X', ·) of a row-major T whose row p is stacked point
    /// `firstRow + p` (rows `rowStride` apart), for `columns` columns.
    private func adapt(query: Range<Int>, support: Range<Int>, of t: UnsafeMutablePointer<Double>, firstRow: Int,
                       rowStride: Int, columns: Int, map: Matrix, into target: UnsafeMutablePointer<Double>) {
        for (r, point) in query.enumerated() {
            (target + r * columns).update(from: t + (point - firstRow) * rowStride, count: columns)
        }
        map.withUnsafeBufferPointer { b in
            gemm(MatrixView(base: b.baseAddress!, rows: query.count, columns: support.count),
                 MatrixView(base: t + (support.lowerBound - firstRow) * rowStride, rows: support.count, columns: columns,
                            leadingDimension: rowStride),
                 into: MutableMatrixView(base: target, rows: query.count, columns: columns), alpha: -1, beta: 1)
        }
    }

    /// out(·, 0..<n) = L(·, query) − L(·, support)·Bᵀ for `rows` rows of L (`stride` apart) into
    /// Φ's rows at `out` (Φ's row length apart).
    private func subtractAdapted(_ l: UnsafeMutablePointer<Double>, rows: Int, stride: Int, query: Range<Int>,
                                 support: Range<Int>, map: Matrix, into out: UnsafeMutablePointer<Double>) {
        for r in 0..<rows { (out + r * size).update(from: l + r * stride + query.lowerBound, count: query.count) }
        map.withUnsafeBufferPointer { b in
            gemm(MatrixView(base: l + support.lowerBound, rows: rows, columns: support.count, leadingDimension: stride),
                 MatrixView(base: b.baseAddress!, rows: query.count, columns: support.count), transposeB: true,
                 into: MutableMatrixView(base: out, rows: rows, columns: query.count, leadingDimension: size),
                 alpha: -1, beta: 1)
        }
    }

    private func shifted(_ range: Range<Int>, _ offset: Int) -> Range<Int> { (range.lowerBound - offset)..<(range.upperBound - offset) }
}
