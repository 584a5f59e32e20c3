/// The `ntkbridge` command line: argument parsing and wiring of the library modules, no
/// mathematics.
import ArgumentParser
import Foundation
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
                      ConvergenceCommand.self, CostCommand.self, MergeCommand.self, EvaluateCommand.self,
                      BaselineCommand.self, PlotCommand.self]
    )

    public init() {}

    /// Runs the command line: warns about an option given more than once (the last value is
    /// used, so that a flags file can override another, as `make reproduce QUICK=1` does),
    /// installs the SIGINT/SIGTERM cleanup of unfinished outputs, then parses and runs.
    public static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        for repeated in RepeatedOptions.all(in: arguments) {
            let warning = "ntkbridge: warning: \(repeated.name) is given \(repeated.values.count) times "
                + "(\(repeated.values.joined(separator: ", "))); the last one is used\n"
            FileHandle.standardError.write(Data(warning.utf8))
        }
        InterruptCleanup.install(label: "ntkbridge")
        runCommandLine(arguments)
    }
}

/// Options given more than once on one command line.
enum RepeatedOptions {
    /// Each long option (`--name value` or `--name=value`) that occurs more than once before a
    /// `--`, with its values in order. A value consumed by the previous option (`--noise -1`) is
    /// never a long option here, since every option's value is a number, a list or a path that
    /// does not start with `--`.
    static func all(in arguments: [String]) -> [(name: String, values: [String])] {
        var values: [String: [String]] = [:], order: [String] = []
        for (k, argument) in arguments.enumerated() {
            if argument == "--" { break }
            guard argument.hasPrefix("--"), argument.count > 2 else { continue }
            let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
            let value = parts.count > 1 ? parts[1] : (k + 1 < arguments.count && !arguments[k + 1].hasPrefix("--") ? arguments[k + 1] : "")
            if values[parts[0]] == nil { order.append(parts[0]) }
            values[parts[0], default: []].append(value)
        }
        return order.compactMap { name in values[name]!.count > 1 ? (name, values[name]!) : nil }
    }
}
