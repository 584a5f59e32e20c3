import FewShot
import InfiniteWidth
import LinearAlgebra

/// The settings of a GBML run (theory.md §3, §4).
public struct GBMLSettings: Sendable {
    public var method: GBMLMethod
    /// The meta-training inner loop (λ, τ).
    public var innerSolver: InnerSolver
    /// The test-time adaptation (λ̂, τ̂); by default the training one.
    public var testSolver: InnerSolver
    public var training: TrainingTime
    /// r in Φ + r·mean(diag Φ)·I.
    public var diagonalRegularization: Double

    public init(method: GBMLMethod, innerSolver: InnerSolver, testSolver: InnerSolver? = nil,
                training: TrainingTime = .converged, diagonalRegularization: Double = 0) {
        self.method = method
        self.innerSolver = innerSolver
        self.testSolver = testSolver ?? innerSolver
        self.training = training
        self.diagonalRegularization = diagonalRegularization
    }
}

/// A GBML learner meta-trained in the infinite-width limit (theory.md §4).
///
/// Meta-training by the outer schedule from an output-zero start gives
/// α = h(Φ)·(𝒴 − 𝒢), 𝒢 = [B_i·Y'_i]_i, and the meta-trained network
/// f_meta(x) = Σ_j Θ(x, X̄_j)·A_jᵀ·α_j = Θ(x, 𝒳̄)·β̄ with β̄ = 𝒜ᵀα. On a test task it adapts with
/// the test-time solver T̂ and the same κ:
///
///     F_GBML(X) = f_meta(X) − κ(X, X')·T̂·(f_meta(X') − Y').
public struct MetaTrainedGBML: Sendable {
    public let settings: GBMLSettings
    public let tasks: TaskSet
    public let kernels: TaskKernels
    public let spectra: SupportSpectra
    public let adaptations: [TaskAdaptation]
    /// Φ, the meta-induced kernel (before diagonal regularization).
    public let metaInducedKernel: Matrix
    /// α = h(Φ)·(𝒴 − 𝒢), one block of n_i rows per training task.
    public let coefficients: Matrix
    /// β̄ = 𝒜ᵀα on the stacked training points 𝒳̄.
    public let stackedCoefficients: Matrix

    /// Meta-trains on `tasks`; `spectra` (of κ's support blocks) may be passed in to share them
    /// across several settings.
    public init(tasks: TaskSet, kernels: TaskKernels, settings: GBMLSettings, spectra: SupportSpectra? = nil) throws {
        let points = kernels.points
        let spectra = try spectra ?? SupportSpectra(kernels: kernels, method: settings.method)
        let adaptations = try tasks.train.indices.map { i in
            try TaskAdaptation(spectrum: spectra.train[i], kappa: spectra.kappa, query: points.trainQuery[i],
                               support: points.trainSupport[i], supportLabels: tasks.train[i].supportLabels,
                               solver: settings.innerSolver)
        }
        let phi = MetaInducedKernel.matrix(ntk: kernels.kernels.ntk, points: points, adaptations: adaptations)
        let residualTargets = Matrix.stackingRows(tasks.train.indices.map { i in
            tasks.train[i].queryLabels! - adaptations[i].adaptedSupportLabels
        })
        let alpha = try settings.training.apply(
            to: phi, residualTargets, matrixName: "Φ, the \(settings.method.rawValue.uppercased()) meta-induced kernel",
            diagonalRegularization: settings.diagonalRegularization)
        self.settings = settings
        self.tasks = tasks
        self.kernels = kernels
        self.spectra = spectra
        self.adaptations = adaptations
        metaInducedKernel = phi
        coefficients = alpha
        stackedCoefficients = MetaTrainedGBML.stacked(alpha, points: points, adaptations: adaptations)
    }

    /// β̄ = 𝒜ᵀα: α_j on X_j's rows, −B_jᵀα_j on X'_j's rows.
    static func stacked(_ alpha: Matrix, points: StackedPoints, adaptations: [TaskAdaptation]) -> Matrix {
        var result = Matrix(rows: points.trainingPoints.count, columns: alpha.columns)
        var offset = 0
        for (j, adaptation) in adaptations.enumerated() {
            let block = alpha.rows(offset..<(offset + points.trainQuery[j].count))
            result.setBlock(block, at: points.trainQuery[j].lowerBound, 0)
            result.setBlock(Matrix.product(adaptation.adaptedQueryMap, block, transposeA: true, alpha: -1),
                            at: points.trainSupport[j].lowerBound, 0)
            offset += points.trainQuery[j].count
        }
        return result
    }

    /// f_meta on the stacked points `rows`: Θ(rows, 𝒳̄)·β̄.
    public func metaTrainedOutputs(rows: Range<Int>) -> Matrix {
        var result = Matrix(rows: rows.count, columns: stackedCoefficients.columns)
        Matrix.multiplyAdd(into: &result, kernels.kernels.ntk,
                           aBlock: BlockRange(rows: rows, columns: kernels.points.trainingPoints), stackedCoefficients)
        return result
    }

    /// The meta-outputs F_i = A_i·f_meta(X̄_i) + B_i·Y'_i of training task i (at t = ∞ they fit
    /// the query labels Y_i).
    public func metaOutputs(trainTask i: Int) -> Matrix {
        let points = kernels.points
        let f = metaTrainedOutputs(rows: points.trainTask(i))
        let n = points.trainQuery[i].count
        return MetaInducedKernel.leftMultipliedByAdaptation(f, query: 0..<n, support: n..<f.rows,
                                                           adaptedQueryMap: adaptations[i].adaptedQueryMap)
            + adaptations[i].adaptedSupportLabels
    }

    /// The test-time adaptation of test task j: its B̂ = κ(X, X')·T̂.
    private func testAdaptation(_ j: Int) throws -> TaskAdaptation {
        try spectra.testAdaptation(j, points: kernels.points, supportLabels: tasks.test[j].supportLabels,
                                   solver: settings.testSolver)
    }

    /// F_GBML(X) on every test task's query points.
    public func predictions() throws -> [Matrix] {
        let points = kernels.points
        return try tasks.test.indices.map { j in
            let adaptation = try testAdaptation(j)
            let f = metaTrainedOutputs(rows: points.testTask(j))
            let nSupport = points.testSupport[j].count
            let supportResidual = f.rows(0..<nSupport) - tasks.test[j].supportLabels
            return f.rows(nSupport..<f.rows) - Matrix.product(adaptation.adaptedQueryMap, supportResidual)
        }
    }

    /// The same predictions through the cross meta-kernel (theory.md §4):
    /// F_GBML(X) = κ(X, X')·T̂·Y' + Φ(test, 𝒳)·α, with Φ(test, 𝒳) = A_test·Θ(X̄_test, 𝒳̄)·𝒜ᵀ.
    public func predictionsThroughCrossMetaKernel() throws -> [Matrix] {
        let points = kernels.points
        return try tasks.test.indices.map { j in
            let adaptation = try testAdaptation(j)
            // Rows of M = Θ(X̄_test, 𝒳̄)·𝒜ᵀ: the test support first, then the test query.
            let m = MetaInducedKernel.rightMultipliedByAdaptations(ntk: kernels.kernels.ntk, rows: points.testTask(j),
                                                                   points: points, adaptations: adaptations)
            let nSupport = points.testSupport[j].count
            let crossMetaKernel = MetaInducedKernel.leftMultipliedByAdaptation(
                m, query: nSupport..<m.rows, support: 0..<nSupport, adaptedQueryMap: adaptation.adaptedQueryMap)
            return adaptation.adaptedSupportLabels + Matrix.product(crossMetaKernel, coefficients)
        }
    }
}
