import ArgumentParser
import InfiniteWidth
import LinearAlgebra
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
