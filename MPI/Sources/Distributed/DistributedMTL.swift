import FewShot
import Foundation
import InfiniteWidth
import LinearAlgebra
import Paradigms

/// The MTL predictor of `TrainedMTL` (theory.md §5) on a process grid, without any process
/// holding the kernels or Θ_MTL whole:
///
/// 1. Θ_MTL((x, i), (x', j)) = ρ_ij·Θ_body(x, x') + δ_ij·K(x, x') on the training data D is laid
///    out block-cyclically; each process computes the kernel blocks of the tasks its blocks
///    meet and assembles its blocks of the lower triangle (the same operations as serially);
/// 2. β = h(Θ_MTL + r·mean(diag)·I)·𝒴_D by `ScaLAPACKSolver`;
/// 3. g on the test points through the new head, from column chunks spread over the processes
///    (`DistributedOutputs`), then each test task's head fine-tuning on K as serially.
public enum DistributedMTL {
    public static func predictions(tasks: TaskSet, source: TaskKernelSource, settings: MTLSettings,
                                   grid: ProcessGrid) throws -> [Matrix] {
        let points = StackedPoints(tasks)
        let data = tasks.train.indices.map { settings.data == .query ? points.trainQuery[$0] : points.trainTask($0) }
        let labels = Matrix.stackingRows(tasks.train.map { task in
            settings.data == .query ? task.queryLabels! : Matrix.stackingRows([task.queryLabels!, task.supportLabels])
        })
        let partition = TaskPartition(sizes: data.map(\.count))
        let solver = ScaLAPACKSolver(grid: grid)
        let rho = settings.headCorrelation
        var theta = try ScaLAPACKSolver.timedAssembly(size: partition.size) {
            try multitaskKernel(source, data: data, headCorrelation: rho, partition: partition, grid: grid,
                                blockSize: solver.blockSize(partition.size))
        }
        theta.addRelativeDiagonal(settings.diagonalRegularization)
        let beta = try solver.apply(settings.training, to: &theta, labels, matrixName: "Θ_MTL, the MTL kernel")

        var stacked = Matrix(rows: points.trainingPoints.count, columns: beta.columns)
        for (i, range) in data.enumerated() {
            stacked.setBlock(beta.rows(partition.offsets[i]..<partition.offsets[i + 1]), at: range.lowerBound, 0)
        }
        let n = Double(tasks.train.count)
        let (bodyWeight, headWeight) = settings.newHead == .initialization ? (rho, 0.0) : ((1 + (n - 1) * rho) / n, 1 / n)
        let testRows = points.trainingPoints.upperBound..<points.inputs.rows
        let g = try Communicator.agreeing {
            try DistributedOutputs.outputs(source, rows: testRows, trainingPoints: points.trainingPoints.count,
                                           terms: [.init(weight: bodyWeight, kernel: { $0.body }),
                                                   .init(weight: headWeight, kernel: { $0.head })],
                                           coefficients: stacked)
        }
        return try tasks.test.indices.map { j in
            let rows = points.testTask(j), nSupport = points.testSupport[j].count
            let head = try source.block(rows: rows, columns: rows).head
            let spectrum = try SupportSpectrum(supportKernel: head.block(rows: 0..<nSupport, columns: 0..<nSupport),
                                               name: "the support kernel K(X', X') of test[\(j)]")
            let adaptation = try TaskAdaptation(spectrum: spectrum, kappa: head, query: nSupport..<rows.count,
                                                support: 0..<nSupport, supportLabels: tasks.test[j].supportLabels,
                                                solver: settings.testSolver, rate: .testInnerRate)
            let local = g.rows((rows.lowerBound - testRows.lowerBound)..<(rows.upperBound - testRows.lowerBound))
            let supportResidual = local.rows(0..<nSupport) - tasks.test[j].supportLabels
            return local.rows(nSupport..<local.rows) - Matrix.product(adaptation.adaptedQueryMap, supportResidual)
        }
    }

    /// This process's blocks of the lower triangle of Θ_MTL on the training data `data` (those
    /// above it are left zero).
    static func multitaskKernel(_ source: TaskKernelSource, data: [Range<Int>], headCorrelation rho: Double,
                                partition: TaskPartition, grid: ProcessGrid, blockSize: Int) throws -> BlockCyclicMatrix {
        try BlockCyclicMatrix(grid: grid, rows: partition.size, columns: partition.size, blockSize: blockSize) { rows, columns in
            guard rows.upperBound > columns.lowerBound else { return Matrix(rows: rows.count, columns: columns.count) }
            let rowTasks = partition.tasks(covering: rows), columnTasks = partition.tasks(covering: columns)
            let rowStart = data[rowTasks.lowerBound].lowerBound, columnStart = data[columnTasks.lowerBound].lowerBound
            let kernels = try source.block(rows: rowStart..<data[rowTasks.upperBound].upperBound,
                                           columns: columnStart..<data[columnTasks.upperBound].upperBound)
            func shifted(_ r: Range<Int>, _ s: Int) -> Range<Int> { (r.lowerBound - s)..<(r.upperBound - s) }
            let base = (partition.offsets[rowTasks.lowerBound], partition.offsets[columnTasks.lowerBound])
            var assembled = Matrix(rows: partition.offsets[rowTasks.upperBound + 1] - base.0,
                                   columns: partition.offsets[columnTasks.upperBound + 1] - base.1)
            for i in rowTasks {
                for j in columnTasks {
                    let (a, b) = (shifted(data[i], rowStart), shifted(data[j], columnStart))
                    let body = kernels.body.block(rows: a, columns: b)
                    let block = i == j ? body + kernels.head.block(rows: a, columns: b) : rho * body
                    assembled.setBlock(block, at: partition.offsets[i] - base.0, partition.offsets[j] - base.1)
                }
            }
            let (r, c) = (rows.lowerBound - base.0, columns.lowerBound - base.1)
            return assembled.block(rows: r..<(r + rows.count), columns: c..<(c + columns.count))
        }
    }
}
