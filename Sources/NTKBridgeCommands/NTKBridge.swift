/// The `ntkbridge` command line: argument parsing and wiring of the library modules, no
/// mathematics.
import ArgumentParser
import LinearAlgebra
import Reports

public struct NTKBridge: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ntkbridge",
        abstract: "Exact infinite-width kernels, GBML and MTL predictors, and their closeness.",
        discussion: """
            Conventions: NTK parameterization as in Neural Tangents (inputs enter as x·x'/d); \
            losses are sums ½‖f − y‖², and rates are per that loss. See Docs/ for the formulas.
            """,
        version: "ntkbridge \(ToolkitVersion.current) (BLAS: \(BLASBackend.libraryServing() ?? "unknown"))",
        subcommands: [KernelCommand.self, TasksCommand.self, PredictCommand.self, ClosenessCommand.self, FiniteCommand.self,
                      ConvergenceCommand.self, CostCommand.self, PlotCommand.self]
    )

    public init() {}
}
