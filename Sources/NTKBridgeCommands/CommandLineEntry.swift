import LinearAlgebra
import ArgumentParser
import FewShot
import Foundation
import InfiniteWidth
import Reports

/// How the `ntkbridge` executable runs a command line: every refusal — a flag that does not
/// parse, a failed validation, bad data or a library error — prints `Error: …` (with the
/// subcommand's usage for flag errors) on standard error and exits with `refusalStatus`; a
/// misspelt flag gets a "did you mean" suggestion among the subcommand's own flags.
extension NTKBridge {
    /// The exit status of every refusal (EX_USAGE, as ArgumentParser gives a flag error).
    public static let refusalStatus: Int32 = 64

    /// Parses and runs `arguments` (without the program name), then exits.
    public static func runCommandLine(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Never {
        if let (subcommand, message) = misspeltFlag(in: arguments) {
            finish(subcommand, ValidationError(message))
        }
        let command: ParsableCommand
        do { command = try parseAsRoot(arguments) } catch { finish(NTKBridge.self, error) }
        do {
            var runnable = command
            try runnable.run()
        } catch { finish(type(of: command), error) }
        Foundation.exit(0)
    }

    /// The message and exit status of a refusal met while running a subcommand outside
    /// `runCommandLine` (`ntkbridge-mpi`): library errors name flags, status `refusalStatus`.
    public static func refusal(for error: Error) -> (message: String, status: Int32) {
        let message = libraryMessage(for: error).map { "Error: " + $0 } ?? fullMessage(for: error)
        return (message, exitCode(for: error) == .success ? 0 : refusalStatus)
    }

    /// A library error as the command line words it: hyperparameters named by their flags.
    static func commandLineDescription(of error: Error) -> String {
        libraryMessage(for: error) ?? "\(error)"
    }

    /// The message of a library error that names parameters, with each named by its flag (nil
    /// for other errors).
    static func libraryMessage(for error: Error) -> String? {
        if let error = error as? HyperparameterError { return error.commandLineDescription }
        if let error = error as? TaskFamilyError { return error.description(naming: \.flag) }
        if case let .folderInUse(folder, reason)? = error as? ShardError {
            return "\(folder) \(reason); choose another --out or remove it"
        }
        return nil
    }

    /// Prints a help or error message for `error` as `type` would, and exits (0 for a help or
    /// version request, `refusalStatus` otherwise).
    private static func finish(_ type: ParsableCommand.Type, _ error: Error) -> Never {
        var message = libraryMessage(for: error).map { "Error: " + $0 } ?? type.fullMessage(for: error)
        if type != NTKBridge.self {   // a subcommand's messages name it as if it stood alone
            let name = type.configuration.commandName ?? ""
            message = message.replacingOccurrences(of: "Usage: \(name) ", with: "Usage: ntkbridge \(name) ")
                .replacingOccurrences(of: "See '\(name) --help'", with: "See 'ntkbridge \(name) --help'")
        }
        if type.exitCode(for: error) == .success {
            print(message)
            Foundation.exit(0)
        }
        FileHandle.standardError.write(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
        Foundation.exit(refusalStatus)
    }

    /// The first `--flag` of `arguments` that the subcommand does not have but that is close to
    /// one it has (at most two edits, transpositions included), with the message to print.
    static func misspeltFlag(in arguments: [String]) -> (ParsableCommand.Type, String)? {
        guard let name = arguments.first,
              let subcommand = configuration.subcommands.first(where: { $0.configuration.commandName == name })
        else { return nil }
        let known = flags(of: subcommand)
        for argument in arguments.dropFirst() {
            if argument == "--" { break }
            guard argument.hasPrefix("--") else { continue }
            let flag = String(argument.split(separator: "=", maxSplits: 1)[0])
            guard !known.contains(flag), flag != "--help" else { continue }
            if let reason = FiniteNetworkFlags.inapplicable[flag], FiniteNetworkFlags.commands.contains(name),
               !(flag == "--quadrature" && name == "convergence") {
                return (subcommand, "\(name) has no \(flag): \(reason)")
            }
            let scored = known.map { ($0, editDistance(flag, $0)) }.filter { $0.1 <= 2 }
            if let best = scored.min(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }) {
                return (subcommand, "Unknown option '\(flag)'. Did you mean '\(best.0)'?")
            }
        }
        return nil
    }

    /// The long flags a subcommand accepts, read from its help text.
    static func flags(of command: ParsableCommand.Type) -> Set<String> {
        let help = command.helpMessage(columns: 10_000)
        var result: Set<String> = []
        var current = ""
        for character in help + " " {
            if character.isLetter || character.isNumber || character == "-" {
                current.append(character)
            } else {
                if current.hasPrefix("--"), current.count > 2 { result.insert(current) }
                current = ""
            }
        }
        return result
    }

    /// The optimal-string-alignment distance (insertions, deletions, substitutions and swaps
    /// of neighbours, each 1).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let (x, y) = (Array(a), Array(b))
        guard !x.isEmpty, !y.isEmpty else { return max(x.count, y.count) }
        var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { d[i][0] = i }
        for j in 0...y.count { d[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[x.count][y.count]
    }
}

/// The flags of the infinite-width commands that the finite-network commands do not offer, and why.
enum FiniteNetworkFlags {
    static let commands: Set<String> = ["finite", "convergence", "cost"]
    static let inapplicable: [String: String] = [
        "--meta-time": "a finite network is trained by S gradient-descent steps: give --meta-rate η and --meta-steps S",
        "--diag-reg": "it regularizes the kernel predictor only, and finite training has no counterpart",
        "--ridge": "a finite network's inner loop is gradient-descent steps (--inner-rate λ, --inner-steps τ), not ridge regression",
        "--quadrature": "a finite network evaluates its activation directly, without a kernel integral",
    ]
}

/// The flag that sets each hyperparameter: how the command line words a library error.
extension Hyperparameter {
    var flag: String {
        switch self {
        case .depth: return "--depth"
        case .activation: return "--activation"
        case .weightStd: return "--w-std"
        case .biasStd: return "--b-std"
        case .readoutWeightStd: return "--out-w-std"
        case .readoutBiasStd: return "--out-b-std"
        case .width: return "--width"
        case .innerSolver: return "--inner"
        case .innerRate: return "--inner-rate"
        case .innerSteps: return "--inner-steps"
        case .testInnerRate: return "--test-inner-rate"
        case .testInnerSteps: return "--test-inner-steps"
        case .outerRate: return "--meta-rate"
        case .outerSteps: return "--meta-steps"
        case .outerTime: return "--meta-time"
        case .diagonalRegularization: return "--diag-reg"
        case .headCorrelation: return "--head-correlation"
        }
    }
}

/// The flag that sets each task-family parameter.
extension TaskParameter {
    var flag: String {
        switch self {
        case .trainTasks: return "--train-tasks"
        case .testTasks: return "--test-tasks"
        case .support: return "--support"
        case .query: return "--query"
        case .outputs: return "--outputs"
        case .inputScale: return "--x-scale"
        case .dimension: return "--dim"
        case .features: return "--features"
        case .rank: return "--rank"
        case .noise: return "--noise"
        case .ways: return "--ways"
        case .testClassFraction: return "--test-class-fraction"
        }
    }
}

extension HyperparameterError {
    /// The message with flags for hyperparameters.
    var commandLineDescription: String { description(naming: \.flag) }
}
