import FewShot
import Foundation
import InfiniteWidth
import LinearAlgebra
import Paradigms

/// The GBML predictor of `MetaTrainedGBML` (theory.md §4) on a process grid, without any
/// process holding Θ or Φ whole:
///
/// 1. every process computes each task's own kernel block Θ(X̄_i, X̄_i) (small), its support
///    spectrum and its adaptation B_i = κ(X_i, X'_i)·T_i;
/// 2. Φ_ij = A_i·Θ(X̄_i, X̄_j)·A_jᵀ is laid out block-cyclically; each process computes the
///    kernel blocks of the tasks its Φ blocks meet (`TaskKernelSource`) and assembles its own
///    blocks of the lower triangle (`AdaptedBlocks`; the solvers read only the lower triangle);
/// 3. α = h(Φ + r·mean(diag Φ)·I)·(𝒴 − 𝒢) by `ScaLAPACKSolver` (pdpotrf/pdpotrs or pdsyevd);
/// 4. f_meta on the test points, Θ(test, 𝒳̄)·𝒜ᵀα, from column chunks spread over the
///    processes (`DistributedOutputs`), then each test task's adaptation as serially.
public enum DistributedGBML {
    public static func predictions(tasks: TaskSet, source: TaskKernelSource, settings: GBMLSettings,
                                   grid: ProcessGrid) throws -> [Matrix] {
        let points = StackedPoints(tasks)
        let kernelName = settings.method == .maml ? "Θ" : "K"
        func ownBlock(_ rows: Range<Int>, _ name: String, support: Range<Int>) throws -> (Matrix, SupportSpectrum) {
            let kappa = settings.method.adaptedKernel(try source.block(rows: rows, columns: rows))
            let spectrum = try SupportSpectrum(supportKernel: kappa.block(rows: support, columns: support),
                                               name: "the support kernel \(kernelName)(X', X') of \(name)")
            return (kappa, spectrum)
        }
        let train = try tasks.train.indices.map { i in
            try ownBlock(points.trainTask(i), "train[\(i)]", support: points.trainQuery[i].count..<points.trainTask(i).count)
        }
        let test = try tasks.test.indices.map { j in
            try ownBlock(points.testTask(j), "test[\(j)]", support: 0..<points.testSupport[j].count)
        }
        let adaptations = try tasks.train.indices.map { i in
            let n = points.trainQuery[i].count
            return try TaskAdaptation(spectrum: train[i].1, kappa: train[i].0, query: 0..<n, support: n..<points.trainTask(i).count,
                                      supportLabels: tasks.train[i].supportLabels, solver: settings.innerSolver)
        }
        let maps = adaptations.map(\.adaptedQueryMap)
        let targets = Matrix.stackingRows(tasks.train.indices.map { tasks.train[$0].queryLabels! - adaptations[$0].adaptedSupportLabels })

        let partition = TaskPartition(sizes: points.trainQuery.map(\.count))
        let solver = ScaLAPACKSolver(grid: grid)
        var phi = try ScaLAPACKSolver.timedAssembly(size: partition.size) {
            try metaInducedKernel(source, points: points, maps: maps, partition: partition, grid: grid,
                                  blockSize: solver.blockSize(partition.size))
        }
        phi.addRelativeDiagonal(settings.diagonalRegularization)
        let alpha = try solver.apply(settings.training, to: &phi, targets,
                                     matrixName: "Φ, the \(settings.method.rawValue.uppercased()) meta-induced kernel")

        // β̄ = 𝒜ᵀα: α_j on X_j's rows, −B_jᵀα_j on X'_j's rows.
        var stacked = Matrix(rows: points.trainingPoints.count, columns: alpha.columns)
        for j in tasks.train.indices {
            let block = alpha.rows(partition.offsets[j]..<partition.offsets[j + 1])
            stacked.setBlock(block, at: points.trainQuery[j].lowerBound, 0)
            stacked.setBlock(Matrix.product(maps[j], block, transposeA: true, alpha: -1), at: points.trainSupport[j].lowerBound, 0)
        }
        let testRows = points.trainingPoints.upperBound..<points.inputs.rows
        let f = try Communicator.agreeing {
            try DistributedOutputs.outputs(source, rows: testRows, trainingPoints: points.trainingPoints.count,
                                           terms: [.init(weight: 1, kernel: { $0.ntk })], coefficients: stacked)
        }
        return try tasks.test.indices.map { j in
            let rows = points.testTask(j), nSupport = points.testSupport[j].count
            let adaptation = try TaskAdaptation(spectrum: test[j].1, kappa: test[j].0, query: nSupport..<rows.count,
                                                support: 0..<nSupport, supportLabels: tasks.test[j].supportLabels,
                                                solver: settings.testSolver, rate: .testInnerRate)
            let local = f.rows((rows.lowerBound - testRows.lowerBound)..<(rows.upperBound - testRows.lowerBound))
            let supportResidual = local.rows(0..<nSupport) - tasks.test[j].supportLabels
            return local.rows(nSupport..<local.rows) - Matrix.product(adaptation.adaptedQueryMap, supportResidual)
        }
    }

    /// This process's blocks of the lower triangle of Φ (those above it are left zero).
    static func metaInducedKernel(_ source: TaskKernelSource, points: StackedPoints, maps: [Matrix], partition: TaskPartition,
                                  grid: ProcessGrid, blockSize: Int) throws -> BlockCyclicMatrix {
        try BlockCyclicMatrix(grid: grid, rows: partition.size, columns: partition.size, blockSize: blockSize) { rows, columns in
            guard rows.upperBound > columns.lowerBound else { return Matrix(rows: rows.count, columns: columns.count) }
            let rowTasks = partition.tasks(covering: rows), columnTasks = partition.tasks(covering: columns)
            let rowStart = points.trainQuery[rowTasks.lowerBound].lowerBound
            let columnStart = points.trainQuery[columnTasks.lowerBound].lowerBound
            let theta = try source.block(rows: rowStart..<points.trainSupport[rowTasks.upperBound].upperBound,
                                         columns: columnStart..<points.trainSupport[columnTasks.upperBound].upperBound).ntk
            let assembled = AdaptedBlocks.metaInduced(theta, rowTasks: rowTasks, rowStart: rowStart, columnTasks: columnTasks,
                                                      columnStart: columnStart, query: points.trainQuery,
                                                      support: points.trainSupport, maps: maps)
            let r = rows.lowerBound - partition.offsets[rowTasks.lowerBound]
            let c = columns.lowerBound - partition.offsets[columnTasks.lowerBound]
            return assembled.block(rows: r..<(r + rows.count), columns: c..<(c + columns.count))
        }
    }
}
