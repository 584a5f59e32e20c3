import Distributed
import FewShot
import Foundation
import LinearAlgebra
import Paradigms
import NTKBridgeCommands
import Reports

/// `ntkbridge-mpi predict`: the predictor of `ntkbridge predict` with Φ (GBML) or Θ_MTL
/// assembled block-cyclically on an R × C process grid — each process computes only the kernel
/// blocks its own blocks need — and solved by ScaLAPACK (`DistributedGBML`, `DistributedMTL`).
/// Every process ends with the same predictions; rank 0 writes the file.
enum DistributedPredictCommand {
    static func run(_ arguments: [String]) throws {
        var flags = arguments
        let shape = try MPICommands.gridShape(&flags)
        let request = try PredictRequest(arguments: flags)
        let source = try request.importedKernels().map(TaskKernelSource.init(imported:))
            ?? TaskKernelSource(recursion: try request.recursion(), inputs: StackedPoints(request.tasks).inputs)
        let grid = ProcessGrid(rows: shape.rows, columns: shape.columns)
        defer { grid.release() }
        MPICommands.failIfAsked(at: "predict")
        let predictions: [Matrix]
        switch request.predictor {
        case let .gbml(settings):
            predictions = try DistributedGBML.predictions(tasks: request.tasks, source: source, settings: settings, grid: grid)
        case let .mtl(settings):
            predictions = try DistributedMTL.predictions(tasks: request.tasks, source: source, settings: settings, grid: grid)
        }
        guard Communicator.isRoot else { return }
        try PredictionFile.write(predictions, to: request.out)
        if let error = QueryLabelMSE(predictions, tasks: request.tasks.test) { print(error.line) }
    }
}
