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
            fine-tuning; the test-time solver defaults to the training one. When test tasks have query labels, \
            prints test_mse: Σ‖F − Y‖²/(points·outputs) over them on stdout. --kernel-dir DIR imports kernels \
            computed elsewhere (nngp and ntk, or head and body, as .csv or .npy, over every point of the task \
            file: each training task's query then support points, then each test task's support then query \
            points) in place of --depth and the architecture flags.
            """)

    @Option(help: ArgumentHelp("The task file.", valueName: "T.json"))
    var tasks: String

    @Option(help: ArgumentHelp("The predictor.", valueName: "method"))
    var method: PredictorMethodName

    @OptionGroup var options: RunOptions

    @Option(help: ArgumentHelp("The predictions CSV to write.", valueName: "P.csv"))
    var out: String

    @Option(name: .customLong("kernel-dir"),
            help: ArgumentHelp("Import the kernels from this folder instead of computing them (see above).", valueName: "DIR"))
    var kernelDirectory: String?

    func run() throws {
        options.innerLoop.warnIgnoredFlags(by: "predict")
        if method != .mtl { options.multitask.warnIgnored(by: "predict", method: method.rawValue) }
        if kernelDirectory == nil { options.network.warnWidthIgnored(by: "predict") }
        let (innerSolver, testSolver) = try options.innerLoop.solvers()
        let training = try options.outerLoop.training()
        let kernelFiles = kernelDirectory.map { folder in
            KernelDirectory.names.flatMap { ["\(folder)/\($0).csv", "\(folder)/\($0).npy"] }.map { ("--kernel-dir", $0) }
        } ?? []
        try RunGuards.refuseCollisions(inputs: [("--tasks", tasks)] + kernelFiles, outputs: [("--out", out)])
        let taskSet = try TaskSet(taskFile: tasks)
        try options.network.checkInputDimension(taskSet.inputDimension, of: "--tasks \(tasks)")
        guard !taskSet.test.isEmpty else { throw CommandFailure("--tasks \(tasks) has no test tasks to predict") }
        try RunGuards.refuseOversize(RunGuards.predictorEstimate(taskSet, depths: 1, deepest: max(options.depth, 1)),
                                     outputFolder: RunGuards.folder(of: out), flags: RunGuards.taskFileFlags)
        let kernels = try taskKernels(taskSet)
        let predictions: [Matrix]
        if let gbml = method.gbml {
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
        if let error = QueryLabelMSE(predictions, tasks: taskSet.test) { print(error.line) }
    }

    /// The kernels on every point of the task set: computed for the architecture, or imported
    /// with --kernel-dir.
    private func taskKernels(_ taskSet: TaskSet) throws -> TaskKernels {
        guard let kernelDirectory else {
            return try TaskKernels(tasks: taskSet, architecture: try options.architecture(),
                                   quadrature: options.integration.rule)
        }
        if options.givenDepth != nil || options.network.givenActivation != nil {
            throw ValidationError("--kernel-dir imports the kernels; --depth and --activation describe a network whose "
                                  + "kernels would be computed: give one or the other")
        }
        let points = StackedPoints(taskSet)
        let layout = "of \(tasks): \(taskSet.train.count) training task(s), each query then support points, then "
            + "\(taskSet.test.count) test task(s), each support then query points"
        return TaskKernels(points: points, kernels: try KernelDirectory.read(kernelDirectory, pointCount: points.inputs.rows,
                                                                             layout: layout))
    }
}
