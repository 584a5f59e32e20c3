import ArgumentParser
import Datasets
import FewShot
import LinearAlgebra
import Reports

/// `ntkbridge baseline`: predictions that need no training tasks, for comparison.
struct BaselineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Nearest-support predictions (pixel space or modified Hausdorff) on the test tasks of a task file.",
        discussion: """
            Each query takes the one-hot label of its closest support point: nearest-neighbour by Euclidean \
            distance between inputs, hausdorff by the modified Hausdorff distance between the inked-pixel sets of \
            square images (each centred on its mean). Writes the same CSV as predict.
            """)

    @Option(help: ArgumentHelp("The task file.", valueName: "T.json"))
    var tasks: String

    @Option(help: ArgumentHelp("How a query is matched to the support points.", valueName: "method"))
    var method: SupportMatching

    @Option(help: ArgumentHelp("The predictions CSV to write.", valueName: "P.csv"))
    var out: String

    func run() throws {
        let baseline = method
        let taskSet = try TaskSet(taskFile: tasks)
        guard !taskSet.test.isEmpty else { throw CommandFailure("--tasks \(tasks) has no test tasks to predict") }
        let predictions: [Matrix]
        do {
            predictions = try baseline.predictions(taskSet)
        } catch {
            throw CommandFailure("--tasks \(tasks): \(error)")
        }
        try PredictionFile.write(predictions, to: out)
    }
}
