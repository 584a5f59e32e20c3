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
        let request = try PredictRequest(self)
        let taskSet = request.tasks
        try RunGuards.refuseOversize(try estimate(request.predictor, taskSet), outputFolder: RunGuards.folder(of: out),
                                     flags: RunGuards.taskFileFlags)
        let predictions = try predictions(request.predictor, taskSet)
        try PredictionFile.write(predictions, to: out)
        if let error = QueryLabelMSE(predictions, tasks: taskSet.test) { print(error.line) }
    }

    /// The memory and disk `predictions` needs: that of the predictors from kernel blocks (the
    /// outer system and the test rows), or of the whole kernels where those are used.
    private func estimate(_ predictor: PredictRequest.Predictor, _ taskSet: TaskSet) throws -> ResourceEstimate {
        let whole = RunGuards.predictorEstimate(taskSet, depths: 1, deepest: max(options.depth, 1))
        guard try blocksApply() else { return whole }
        let outerSize: Int, testCopies: Double
        switch predictor {
        case .gbml: (outerSize, testCopies) = (taskSet.trainingQueryCount, 1)
        case let .mtl(settings):
            outerSize = settings.data == .query ? taskSet.trainingQueryCount : taskSet.train.reduce(0) { $0 + $1.queryCount + $1.supportCount }
            testCopies = settings.newHead == .mean ? 2 : 1
        }
        let training = Double(taskSet.train.reduce(0) { $0 + $1.queryCount + $1.supportCount })
        let bandRows = Double(taskSet.train.map { $0.queryCount + $0.supportCount }.max() ?? 0) * 4
        let blocks = ResourceEstimate.blockwisePredictors(points: RunGuards.stackedPoints(taskSet), trainingPoints: training,
                                                          outerSize: Double(outerSize), testCopies: testCopies, bandRows: bandRows,
                                                          workers: Double(ParallelLoop.workerCount), deepest: Double(max(options.depth, 1)))
        return ResourceEstimate(memoryBytes: blocks.memoryBytes, diskBytes: whole.diskBytes, drivenBy: blocks.drivenBy)
    }

    /// Whether the predictors run from kernel blocks: kernels computed here (no --kernel-dir) by
    /// an engine that computes blocks pair by pair.
    private func blocksApply() throws -> Bool {
        guard kernelDirectory == nil else { return false }
        return TaskKernelBlocks.applies(to: KernelRecursion(try options.architecture(), quadrature: options.integration.rule))
    }

    /// The predictions on the test tasks: from kernel blocks computed on demand where the kernel
    /// engine computes blocks pair by pair (the predictors read only some blocks: no n × n kernel
    /// is held), else from the whole kernels (imported, or of an engine that computes whole
    /// matrices). Both give the same numbers.
    private func predictions(_ predictor: PredictRequest.Predictor, _ taskSet: TaskSet) throws -> [Matrix] {
        if try blocksApply() {
            let recursion = KernelRecursion(try options.architecture(), quadrature: options.integration.rule)
            let blocks = try TaskKernelBlocks(tasks: taskSet, recursion: recursion)
            switch predictor {
            case let .gbml(settings): return try MetaTrainedGBML.predictions(tasks: taskSet, blocks: blocks, settings: settings)
            case let .mtl(settings): return try TrainedMTL.predictions(tasks: taskSet, blocks: blocks, settings: settings)
            }
        }
        let kernels = try taskKernels(taskSet)
        switch predictor {
        case let .gbml(settings):
            return try MetaTrainedGBML(tasks: taskSet, kernels: kernels, settings: settings).predictions()
        case let .mtl(settings):
            return try TrainedMTL(tasks: taskSet, kernels: kernels, settings: settings).predictions()
        }
    }

    /// The kernels on every point of the task set: computed for the architecture, or imported
    /// with --kernel-dir.
    private func taskKernels(_ taskSet: TaskSet) throws -> TaskKernels {
        if let imported = try importedKernels(taskSet) { return TaskKernels(points: StackedPoints(taskSet), kernels: imported) }
        return try TaskKernels(tasks: taskSet, architecture: try options.architecture(),
                               quadrature: options.integration.rule,
                               kinds: TaskKernels.kinds(for: method.gbml))
    }

    /// The kernels of --kernel-dir on every point of the task set (nil without --kernel-dir).
    func importedKernels(_ taskSet: TaskSet) throws -> NetworkKernels? {
        guard let kernelDirectory else { return nil }
        if options.givenDepth != nil || options.network.givenActivation != nil {
            throw ValidationError("--kernel-dir imports the kernels; --depth and --activation describe a network whose "
                                  + "kernels would be computed: give one or the other")
        }
        let points = StackedPoints(taskSet)
        let layout = "of \(tasks): \(taskSet.train.count) training task(s), each query then support points, then "
            + "\(taskSet.test.count) test task(s), each support then query points"
        return try KernelDirectory.read(kernelDirectory, pointCount: points.inputs.rows, layout: layout)
    }
}
