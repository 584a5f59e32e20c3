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
        subcommands: [KernelCommand.self, TasksCommand.self, PredictCommand.self, CompareCommand.self, ClosenessCommand.self, FiniteCommand.self,
                      ConvergenceCommand.self, CostCommand.self, PlotCommand.self]
    )

    public init() {}

    /// Runs the command line: refuses an option given twice (the second would silently win),
    /// installs the SIGINT/SIGTERM cleanup of unfinished outputs, then parses and runs
    /// (`runCommandLine`: one refusal status, the subcommand's usage, "did you mean").
    public static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let repeated = RepeatedOptions.first(in: arguments) {
            exit(withError: ValidationError("\(repeated) is given more than once; give it once"))
        }
        InterruptCleanup.install(label: "ntkbridge")
        runCommandLine(arguments)
    }
}

/// Options given twice on one command line.
enum RepeatedOptions {
    /// The first long option (`--name` or `--name=value`) that occurs twice before a `--`, or nil.
    /// A value consumed by the previous option (`--noise -1`) is never a long option here, since
    /// every option's value is a number, a list or a path that does not start with `--`.
    static func first(in arguments: [String]) -> String? {
        var seen: Set<String> = []
        for argument in arguments {
            if argument == "--" { break }
            guard argument.hasPrefix("--"), argument.count > 2 else { continue }
            let name = String(argument.split(separator: "=", maxSplits: 1)[0])
            if !seen.insert(name).inserted { return name }
        }
        return nil
    }
}
