import FewShot
import InfiniteWidth
import LinearAlgebra

/// The settings of an MTL run (theory.md §5).
public struct MTLSettings: Sendable {
    /// What each task's head is trained on.
    public enum TrainingData: String, Sendable, CaseIterable {
        /// The query set (the data GBML's outer loop sees), the default.
        case query
        /// Query and support merged.
        case merged
    }

    /// How a new task's head starts.
    public enum NewHead: String, Sendable, CaseIterable {
        /// Initialised like the others (correlation ρ with each training head).
        case initialization = "init"
        /// The mean of the trained heads.
        case mean
    }

    public var data: TrainingData
    /// ρ, the heads' pairwise correlation at initialisation (1: one common initialisation).
    public var headCorrelation: Double
    public var newHead: NewHead
    /// The test-time head fine-tuning T̂ (λ̂, τ̂).
    public var testSolver: InnerSolver
    public var training: TrainingTime
    /// r in Θ_MTL + r·mean(diag Θ_MTL)·I.
    public var diagonalRegularization: Double

    public init(data: TrainingData = .query, headCorrelation: Double = 1, newHead: NewHead = .initialization,
                testSolver: InnerSolver, training: TrainingTime = .converged, diagonalRegularization: Double = 0) {
        self.data = data
        self.headCorrelation = headCorrelation
        self.newHead = newHead
        self.testSolver = testSolver
        self.training = training
        self.diagonalRegularization = diagonalRegularization
    }
}

/// A multi-task learner (one body, one head per training task) trained jointly in the
/// infinite-width limit (theory.md §5).
///
/// Its tangent kernel between (x, task i) and (x', task j) is
/// Θ_MTL = ρ_ij·Θ_body(x, x') + δ_ij·K(x, x'), and joint training gives β = h(Θ_MTL)·𝒴_D.
/// A new head initialised like the others sees g(x) = ρ·Σ_j Θ_body(x, D_j)·β_j; one started
/// from the mean of the trained heads sees
/// g(x) = ((1 + (N−1)ρ)/N)·Σ_j Θ_body(x, D_j)·β_j + (1/N)·Σ_j K(x, D_j)·β_j.
/// At test time the head is fine-tuned on the support set:
///
///     F_MTL(X) = g(X) − K(X, X')·T̂·(g(X') − Y').
public struct TrainedMTL: Sendable {
    public let settings: MTLSettings
    public let tasks: TaskSet
    public let kernels: TaskKernels
    /// Each training task's rows D_i in the stacked kernel.
    public let trainingRows: [Range<Int>]
    /// Θ_MTL (before diagonal regularization).
    public let multitaskKernel: Matrix
    /// β = h(Θ_MTL)·𝒴_D.
    public let coefficients: Matrix

    public init(tasks: TaskSet, kernels: TaskKernels, settings: MTLSettings) throws {
        let points = kernels.points
        let rows = tasks.train.indices.map { settings.data == .query ? points.trainQuery[$0] : points.trainTask($0) }
        let labels = Matrix.stackingRows(tasks.train.map { task in
            settings.data == .query ? task.queryLabels! : Matrix.stackingRows([task.queryLabels!, task.supportLabels])
        })
        let theta = TrainedMTL.multitaskKernel(kernels.kernels, rows: rows, headCorrelation: settings.headCorrelation)
        coefficients = try settings.training.apply(to: theta, labels, matrixName: "Θ_MTL, the MTL kernel",
                                                   diagonalRegularization: settings.diagonalRegularization)
        self.settings = settings
        self.tasks = tasks
        self.kernels = kernels
        trainingRows = rows
        multitaskKernel = theta
    }

    /// Θ_MTL((x, i), (x', j)) = ρ_ij·Θ_body(x, x') + δ_ij·K(x, x') on the training data D, written
    /// straight from Θ_body and K by the workers of `ParallelLoop` (a band of tasks' rows each).
    public static func multitaskKernel(_ kernels: NetworkKernels, rows: [Range<Int>], headCorrelation rho: Double) -> Matrix {
        let starts = rows.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        let size = starts.last!
        let (body, head) = (kernels.body, kernels.head)
        let n = body.columns
        return Matrix.producing(1, rows: size, columns: size) { pointers in
            let target = SharedPointer(pointers[0])
            ParallelLoop.forEachChunk(count: rows.count) { tasks in
                body.withUnsafeBufferPointer { b in
                    head.withUnsafeBufferPointer { h in
                        for i in tasks {
                            for (r, x) in rows[i].enumerated() {
                                let out = target.base + (starts[i] + r) * size
                                for (j, columns) in rows.enumerated() {
                                    let first = x * n + columns.lowerBound
                                    if i == j {
                                        for c in 0..<columns.count { out[starts[j] + c] = b[first + c] + h[first + c] }
                                    } else {
                                        for c in 0..<columns.count { out[starts[j] + c] = rho * b[first + c] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }[0]
    }

    /// The coefficients placed on the stacked training points (zero off D).
    private var stackedCoefficients: Matrix {
        var result = Matrix(rows: kernels.points.trainingPoints.count, columns: coefficients.columns)
        var offset = 0
        for range in trainingRows {
            result.setBlock(coefficients.rows(offset..<(offset + range.count)), at: range.lowerBound, 0)
            offset += range.count
        }
        return result
    }

    /// g on the stacked points `rows`: the trained body seen through the new head.
    public func newHeadOutputs(rows: Range<Int>) -> Matrix {
        let n = Double(tasks.train.count), rho = settings.headCorrelation
        let (bodyWeight, headWeight) = settings.newHead == .initialization ? (rho, 0.0) : ((1 + (n - 1) * rho) / n, 1 / n)
        let stacked = stackedCoefficients
        let columns = BlockRange(rows: rows, columns: kernels.points.trainingPoints)
        var result = Matrix(rows: rows.count, columns: stacked.columns)
        if bodyWeight != 0 {
            Matrix.multiplyAdd(into: &result, kernels.kernels.body, aBlock: columns, stacked, alpha: bodyWeight, beta: 1)
        }
        if headWeight != 0 {
            Matrix.multiplyAdd(into: &result, kernels.kernels.head, aBlock: columns, stacked, alpha: headWeight, beta: 1)
        }
        return result
    }

    /// The jointly trained outputs on training task i's data D_i (at t = ∞ they fit 𝒴_D).
    public func trainedOutputs(trainTask i: Int) -> Matrix {
        var result = Matrix(rows: trainingRows[i].count, columns: coefficients.columns)
        var offset = 0
        for (j, range) in trainingRows.enumerated() {
            let taskCoefficients = coefficients.rows(offset..<(offset + range.count))
            let block = BlockRange(rows: trainingRows[i], columns: range)
            Matrix.multiplyAdd(into: &result, kernels.kernels.body, aBlock: block, taskCoefficients,
                               alpha: i == j ? 1 : settings.headCorrelation, beta: 1)
            if i == j { Matrix.multiplyAdd(into: &result, kernels.kernels.head, aBlock: block, taskCoefficients, beta: 1) }
            offset += range.count
        }
        return result
    }

    /// F_MTL(X) on every test task's query points, fine-tuning the head with `testSolver`
    /// (default: the settings' one); `headSpectra` may be passed in to share them.
    public func predictions(testSolver: InnerSolver? = nil, headSpectra: SupportSpectra? = nil) throws -> [Matrix] {
        let points = kernels.points
        let spectra = try headSpectra ?? SupportSpectra.head(kernels)
        return try tasks.test.indices.map { j in
            let adaptation = try spectra.testAdaptation(j, points: points, supportLabels: tasks.test[j].supportLabels,
                                                        solver: testSolver ?? settings.testSolver)
            let g = newHeadOutputs(rows: points.testTask(j))
            let nSupport = points.testSupport[j].count
            let supportResidual = g.rows(0..<nSupport) - tasks.test[j].supportLabels
            return g.rows(nSupport..<g.rows) - Matrix.product(adaptation.adaptedQueryMap, supportResidual)
        }
    }
}
