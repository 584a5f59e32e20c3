import ArgumentParser
import FewShot
import InfiniteWidth
import LinearAlgebra
import Paradigms
import Reports

/// A `kernel` command line, parsed and read as `ntkbridge kernel` reads it, for `ntkbridge-mpi
/// kernel`, which computes and writes the same files with the rows spread over processes.
public struct KernelRequest: Sendable {
    public let x1: Matrix
    public let x2: Matrix?
    public let depths: [Int]
    /// Whether each depth goes to its own folder `DIR/depth-<L>` (`--depths`).
    public let perDepthFolders: Bool
    public let recursion: KernelRecursion
    public let format: MatrixFileFormat
    /// nil: `--timing` without output.
    public let out: String?
    /// `--timing`: print `kernel_seconds: <s>`.
    public let timing: Bool

    /// Parses `arguments` (the flags after `kernel`) and reads the inputs; throws what `kernel`
    /// would (print it with `NTKBridge.fullMessage(for:)`).
    public init(arguments: [String]) throws {
        let command = try KernelCommand.parse(arguments)
        let depths = try command.depths.map { try parsePositiveIntegers($0, flag: "--depths") } ?? [command.depth!]
        if let depth = command.depth, depth < 1 { throw ValidationError("--depth must be at least 1, got \(depth)") }
        let architecture = try command.network.architecture(depth: depths.max()!)
        recursion = KernelRecursion(architecture, quadrature: command.integration.rule)
        if command.kernels.elements != KernelName.allCases || command.rows != nil || command.memoryLimit != nil {
            throw CommandFailure("ntkbridge-mpi kernel writes all four kernels over all rows: --kernels, --rows and "
                                 + "--memory-limit are for the serial command (the processes already split the rows)")
        }
        x1 = try Matrix(matrixFile: command.x1)
        x2 = try command.x2.map { try Matrix(matrixFile: $0) }
        try command.network.checkInputDimension(x1.columns, of: "--x1 \(command.x1)")
        if let x2 { try command.network.checkInputDimension(x2.columns, of: "--x2 \(command.x2!)") }
        if let x2, x2.columns != x1.columns {
            throw CommandFailure("--x2 \(command.x2!) has \(x2.columns) columns but --x1 \(command.x1) has \(x1.columns): "
                                 + "the input dimensions must agree")
        }
        self.depths = depths
        perDepthFolders = command.depths != nil
        format = command.format
        out = command.out
        timing = command.timing
    }
}

/// A `predict` command line, parsed and checked as `ntkbridge predict` checks it (flags, task
/// file, solvers, settings), for `ntkbridge predict` itself and for `ntkbridge-mpi predict`,
/// which assembles and solves the same predictor distributed.
public struct PredictRequest {
    public enum Predictor: Sendable {
        case gbml(GBMLSettings)
        case mtl(MTLSettings)
    }

    public let tasks: TaskSet
    public let predictor: Predictor
    public let out: String
    private let command: PredictCommand

    /// Parses `arguments` (the flags after `predict`) and reads the task file.
    public init(arguments: [String]) throws {
        try self.init(try PredictCommand.parse(arguments))
    }

    init(_ command: PredictCommand) throws {
        let options = command.options
        options.innerLoop.warnIgnoredFlags(by: "predict")
        if command.method != .mtl { options.multitask.warnIgnored(by: "predict", method: command.method.rawValue) }
        if command.kernelDirectory == nil { options.network.warnWidthIgnored(by: "predict") }
        let (innerSolver, testSolver) = try options.innerLoop.solvers()
        let training = try options.outerLoop.training()
        let kernelFiles = command.kernelDirectory.map { folder in
            KernelDirectory.names.flatMap { ["\(folder)/\($0).csv", "\(folder)/\($0).npy"] }.map { ("--kernel-dir", $0) }
        } ?? []
        try RunGuards.refuseCollisions(inputs: [("--tasks", command.tasks)] + kernelFiles, outputs: [("--out", command.out)])
        let taskSet = try TaskSet(taskFile: command.tasks)
        try options.network.checkInputDimension(taskSet.inputDimension, of: "--tasks \(command.tasks)")
        guard !taskSet.test.isEmpty else { throw CommandFailure("--tasks \(command.tasks) has no test tasks to predict") }
        if let gbml = command.method.gbml {
            predictor = .gbml(GBMLSettings(method: gbml, innerSolver: innerSolver, testSolver: testSolver, training: training,
                                           diagonalRegularization: options.outerLoop.diagonalRegularization))
        } else {
            predictor = .mtl(try options.multitask.settings(trainTasks: taskSet.train.count, testSolver: testSolver,
                                                            training: training,
                                                            diagonalRegularization: options.outerLoop.diagonalRegularization))
        }
        tasks = taskSet
        out = command.out
        self.command = command
    }

    /// The kernels imported with --kernel-dir (whole), or nil: compute them with `recursion()`.
    public func importedKernels() throws -> NetworkKernels? { try command.importedKernels(tasks) }

    /// The kernel recursion of the architecture flags.
    public func recursion() throws -> KernelRecursion {
        KernelRecursion(try command.options.architecture(), quadrature: command.options.integration.rule)
    }
}
