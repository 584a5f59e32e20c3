import ArgumentParser
import FewShot
import InfiniteWidth
import LinearAlgebra
import Paradigms
import Reports

/// `ntkbridge predict`: the infinite-width GBML or MTL predictor on a task file's test tasks
/// (theory.md §4, §5).
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Infinite-width MTL, ANIL or MAML predictions on the test tasks of a task file.",
        discussion: """
            Writes a CSV with header task,point,y0,y1,… and one row per test-task query point (0-based). \
            Losses are sums and rates are per sum loss. For mtl the --inner flags define the test-time head \
            fine-tuning; the test-time solver defaults to the training one.
            """)

    @Option(help: ArgumentHelp("The task file.", valueName: "T.json"))
    var tasks: String

    @Option(help: ArgumentHelp("mtl, anil or maml.", valueName: "method"))
    var method: String

    @OptionGroup var options: RunOptions

    @Option(help: ArgumentHelp("The predictions CSV to write.", valueName: "P.csv"))
    var out: String

    func run() throws {
        guard ["mtl", "anil", "maml"].contains(method) else {
            throw ValidationError("--method must be mtl, anil or maml, got '\(method)'")
        }
        let architecture = try options.architecture()
        let (innerSolver, testSolver) = try options.innerLoop.solvers()
        let training = try options.outerLoop.training()
        try RunGuards.refuseCollisions(inputs: [("--tasks", tasks)], outputs: [("--out", out)])
        let taskSet = try TaskSet(taskFile: tasks)
        guard !taskSet.test.isEmpty else { throw CommandFailure("--tasks \(tasks) has no test tasks to predict") }
        try RunGuards.refuseOversize(RunGuards.predictorEstimate(taskSet, depths: 1, deepest: options.depth),
                                     outputFolder: RunGuards.folder(of: out), flags: RunGuards.taskFileFlags)
        let kernels = try TaskKernels(tasks: taskSet, architecture: architecture, quadrature: try options.network.quadratureRule())
        let predictions: [Matrix]
        if let gbml = GBMLMethod(rawValue: method) {
            predictions = try MetaTrainedGBML(
                tasks: taskSet, kernels: kernels,
                settings: GBMLSettings(method: gbml, innerSolver: innerSolver, testSolver: testSolver, training: training,
                                       diagonalRegularization: options.outerLoop.diagonalRegularization)).predictions()
        } else {
            let settings = try options.multitask.settings(trainTasks: taskSet.train.count, testSolver: testSolver, training: training,
                                                  diagonalRegularization: options.outerLoop.diagonalRegularization)
            predictions = try TrainedMTL(tasks: taskSet, kernels: kernels, settings: settings).predictions()
        }
        try PredictionFile.write(predictions, to: out)
    }
}
