import FewShot
import InfiniteWidth
import LinearAlgebra

extension MetaTrainedGBML {
    /// F_GBML(X) on every test task's query points, as
    /// `MetaTrainedGBML(tasks:kernels:settings:).predictions()` computes them (the same sums, bit
    /// for bit), from kernel blocks instead of whole kernels:
    ///
    /// - κ on each task's own block X̄ × X̄ only (its support spectrum and B = κ(X, X')·T);
    /// - Φ_ij = A_i·Θ(X̄_i, X̄_j)·A_jᵀ from bands of Θ's upper triangle
    ///   (`MetaInducedKernel.matrixAndTestRows(blocks:adaptations:)`), α = h(Φ)·(𝒴 − 𝒢);
    /// - f_meta(X̄_test) = Θ(X̄_test, 𝒳̄)·β̄, β̄ = 𝒜ᵀα, then
    ///   F_GBML(X) = f_meta(X) − κ(X, X')·T̂·(f_meta(X') − Y').
    ///
    /// Memory: Φ (N·n)², Θ(X̄_test, 𝒳̄) and buffers of a few MB, never an n × n kernel.
    public static func predictions(tasks: TaskSet, blocks: TaskKernelBlocks, settings: GBMLSettings) throws -> [Matrix] {
        let points = blocks.points
        let kernelName = settings.method.kernelName
        func spectrum(_ kappa: Matrix, support: Range<Int>, _ name: String) throws -> SupportSpectrum {
            try SupportSpectrum(supportKernel: kappa.block(rows: support, columns: support),
                                name: "the support kernel \(kernelName)(X', X') of \(name)")
        }
        let trainSupport = points.trainQuery.indices.map { points.trainQuery[$0].count..<points.trainTask($0).count }
        let testSupport = points.testSupport.map { 0..<$0.count }
        // κ on each task's own block; the spectra and adaptations on this thread, as the
        // whole-kernel predictor computes them (LAPACK's results depend on OpenBLAS's thread count).
        let (trainBlocks, testBlocks) = try blocks.taskBlocks()
        let trainKappa = trainBlocks.map(settings.method.adaptedKernel), testKappa = testBlocks.map(settings.method.adaptedKernel)
        let trainSpectra = try trainKappa.indices.map { try spectrum(trainKappa[$0], support: trainSupport[$0], "train[\($0)]") }
        let testSpectra = try testKappa.indices.map { try spectrum(testKappa[$0], support: testSupport[$0], "test[\($0)]") }
        let adaptations = try tasks.train.indices.map { i in
            try TaskAdaptation(spectrum: trainSpectra[i], kappa: trainKappa[i], query: 0..<points.trainQuery[i].count,
                               support: trainSupport[i], supportLabels: tasks.train[i].supportLabels, solver: settings.innerSolver)
        }
        let (phi, testNTK) = try MetaInducedKernel.matrixAndTestRows(blocks: blocks, adaptations: adaptations)
        let residualTargets = Matrix.stackingRows(tasks.train.indices.map { i in
            tasks.train[i].queryLabels! - adaptations[i].adaptedSupportLabels
        })
        let alpha = try settings.training.apply(
            to: consume phi, residualTargets, matrixName: "Φ, the \(settings.method.rawValue.uppercased()) meta-induced kernel",
            diagonalRegularization: settings.diagonalRegularization)
        let stacked = stacked(alpha, points: points, adaptations: adaptations)
        let firstTest = points.trainingPoints.upperBound
        return try tasks.test.indices.map { j in
            let nSupport = testSupport[j].count, rows = points.testTask(j)
            let adaptation = try TaskAdaptation(spectrum: testSpectra[j], kappa: testKappa[j], query: nSupport..<rows.count,
                                                support: testSupport[j], supportLabels: tasks.test[j].supportLabels,
                                                solver: settings.testSolver, rate: .testInnerRate)
            var f = Matrix(rows: rows.count, columns: stacked.columns)
            Matrix.multiplyAdd(into: &f, testNTK, aBlock: BlockRange(rows: (rows.lowerBound - firstTest)..<(rows.upperBound - firstTest),
                                                                     columns: 0..<testNTK.columns), stacked)
            let supportResidual = f.rows(0..<nSupport) - tasks.test[j].supportLabels
            return f.rows(nSupport..<f.rows) - Matrix.product(adaptation.adaptedQueryMap, supportResidual)
        }
    }
}
