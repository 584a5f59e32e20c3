import FewShot
import InfiniteWidth
import LinearAlgebra

extension TrainedMTL {
    /// F_MTL(X) on every test task's query points, as
    /// `TrainedMTL(tasks:kernels:settings:).predictions()` computes them (the same sums, bit for
    /// bit), from kernel blocks instead of whole kernels (theory.md §5):
    ///
    /// - Θ_MTL((x, i), (x', j)) = ρ_ij·Θ_body(x, x') + δ_ij·K(x, x') on the training data D from
    ///   the rows Θ_body(D_i, ·) and K(D_i, ·) right of D_i (`multitaskKernel(blocks:rows:headCorrelation:)`),
    ///   β = h(Θ_MTL)·𝒴_D;
    /// - the new head's outputs g(X̄_test) from Θ_body(X̄_test, D) (and K(X̄_test, D) for a head
    ///   started from the mean), then F_MTL(X) = g(X) − K(X, X')·T̂·(g(X') − Y') with K on each
    ///   test task's own block.
    ///
    /// Only the pairs of D and (D, test) are computed, not the support points' rows, and memory
    /// is Θ_MTL, the test rows and buffers of a few MB, never an n × n kernel.
    public static func predictions(tasks: TaskSet, blocks: TaskKernelBlocks, settings: MTLSettings) throws -> [Matrix] {
        let points = blocks.points
        let rows = tasks.train.indices.map { settings.data == .query ? points.trainQuery[$0] : points.trainTask($0) }
        let labels = Matrix.stackingRows(tasks.train.map { task in
            settings.data == .query ? task.queryLabels! : Matrix.stackingRows([task.queryLabels!, task.supportLabels])
        })
        let n = Double(tasks.train.count), rho = settings.headCorrelation
        let (bodyWeight, headWeight) = settings.newHead == .initialization ? (rho, 0.0) : ((1 + (n - 1) * rho) / n, 1 / n)
        let (theta, testBody, testHead) = try multitaskKernel(blocks: blocks, rows: rows, headCorrelation: rho,
                                                              testHeadKernel: headWeight != 0)
        let coefficients = try settings.training.apply(to: consume theta, labels, matrixName: "Θ_MTL, the MTL kernel",
                                                       diagonalRegularization: settings.diagonalRegularization)
        let stacked = stackedCoefficients(coefficients, rows: rows, trainingPoints: points.trainingPoints.count)
        let firstTest = points.trainingPoints.upperBound
        let testBlocks = try blocks.taskBlocks(training: false).test
        return try tasks.test.indices.map { j in
            let task = points.testTask(j), nSupport = points.testSupport[j].count
            let head = testBlocks[j].head
            let spectrum = try SupportSpectrum(supportKernel: head.block(rows: 0..<nSupport, columns: 0..<nSupport),
                                               name: "the support kernel K(X', X') of test[\(j)]")
            let adaptation = try TaskAdaptation(spectrum: spectrum, kappa: head, query: nSupport..<task.count, support: 0..<nSupport,
                                                supportLabels: tasks.test[j].supportLabels, solver: settings.testSolver,
                                                rate: .testInnerRate)
            let local = BlockRange(rows: (task.lowerBound - firstTest)..<(task.upperBound - firstTest), columns: 0..<firstTest)
            var g = Matrix(rows: task.count, columns: stacked.columns)
            if bodyWeight != 0 { Matrix.multiplyAdd(into: &g, testBody, aBlock: local, stacked, alpha: bodyWeight, beta: 1) }
            if headWeight != 0 { Matrix.multiplyAdd(into: &g, testHead, aBlock: local, stacked, alpha: headWeight, beta: 1) }
            let supportResidual = g.rows(0..<nSupport) - tasks.test[j].supportLabels
            return g.rows(nSupport..<g.rows) - Matrix.product(adaptation.adaptedQueryMap, supportResidual)
        }
    }

    /// The coefficients placed on the stacked training points (zero off D).
    static func stackedCoefficients(_ coefficients: Matrix, rows: [Range<Int>], trainingPoints: Int) -> Matrix {
        var result = Matrix(rows: trainingPoints, columns: coefficients.columns)
        var offset = 0
        for range in rows {
            result.setBlock(coefficients.rows(offset..<(offset + range.count)), at: range.lowerBound, 0)
            offset += range.count
        }
        return result
    }

    /// Θ_MTL on D (as `multitaskKernel(_:rows:headCorrelation:)`, bit for bit) and the test
    /// rows Θ_body(X̄_test, 𝒳̄) and, if `testHeadKernel`, K(X̄_test, 𝒳̄), with zeros in the columns
    /// outside D (the stacked coefficients are zero there). For each task i (a work item), the
    /// rows D_i × (columns from D_i on) of Θ_body and K give block row i of Θ_MTL right of the
    /// diagonal, its mirror below it (Θ_body and K are symmetric), and the columns D_i of the
    /// test rows.
    public static func multitaskKernel(blocks: TaskKernelBlocks, rows: [Range<Int>], headCorrelation rho: Double,
                                       testHeadKernel: Bool = false) throws
        -> (multitaskKernel: Matrix, testBody: Matrix, testHead: Matrix) {
        let starts = rows.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        let size = starts.last!
        let pointCount = blocks.points.inputs.rows, training = blocks.points.trainingPoints.count
        let testCount = pointCount - training
        let maxRows = rows.map(\.count).max() ?? 0
        var testBody = Matrix(rows: testCount, columns: training)
        var testHead = testHeadKernel ? Matrix(rows: testCount, columns: training) : Matrix(rows: 0, columns: 0)
        let theta = try testBody.withUnsafeMutableBufferPointer { bodyPointer in
            try testHead.withUnsafeMutableBufferPointer { headPointer in
                let (testBodyTarget, testHeadTarget) = (SharedPointer(bodyPointer.baseAddress!), testHeadKernel ? SharedPointer(headPointer.baseAddress!) : nil)
                return try Matrix.producing(1, rows: size, columns: size) { pointer in
                    let target = SharedPointer(pointer[0])
                    try WorkerPool.forEach(count: rows.count, bufferSizes: Array(repeating: maxRows * pointCount, count: 3)) { i, buffers in
                        let (body, head, d) = (buffers[0], buffers[1], rows[i])
                        let width = pointCount - d.lowerBound
                        try blocks.compute([.body: body, .head: head], rows: d, columns: d.lowerBound..<pointCount,
                                           rowStride: width, scratch: buffers[2])
                        for r in 0..<d.count {
                            let (b, h) = (body + r * width - d.lowerBound, head + r * width - d.lowerBound)
                            let out = target.base + (starts[i] + r) * size
                            for c in d { out[starts[i] + c - d.lowerBound] = b[c] + h[c] }
                            for j in (i + 1)..<rows.count {
                                for (c, point) in rows[j].enumerated() {
                                    let value = rho * b[point]
                                    out[starts[j] + c] = value
                                    target.base[(starts[j] + c) * size + starts[i] + r] = value
                                }
                            }
                            for t in 0..<testCount {
                                testBodyTarget.base[t * training + d.lowerBound + r] = b[training + t]
                                if let testHeadTarget { testHeadTarget.base[t * training + d.lowerBound + r] = h[training + t] }
                            }
                        }
                    }
                }[0]
            }
        }
        return (theta, testBody, testHead)
    }
}
