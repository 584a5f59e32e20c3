import ArgumentParser
import FewShot
import FiniteWidth
import Foundation
import InfiniteWidth
import LinearAlgebra
import Paradigms
import Reports

/// `ntkbridge finite`: a finite-width network trained for real by MTL, ANIL, MAML or FOMAML
/// (theory.md §7), its test predictions in `predict`'s format, and optionally its training curve.
struct FiniteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finite",
        abstract: "Train a finite-width network by MTL, ANIL, MAML or FOMAML and write its test predictions.",
        discussion: """
            Full-batch gradient descent on sum losses with centered outputs f_θ − f_θ₀: --meta-steps S steps of \
            rate --meta-rate η on the outer loss, inner loops (and test-time adaptation) of --inner-steps τ \
            gradient-descent steps of rate --inner-rate λ. MAML and ANIL use the exact \
            meta-gradient through the inner loop; FOMAML drops its second-order terms. Rates above the \
            divergence bound of the empirical kernels at initialisation are refused with the bound. \
            --log L.csv writes the training curve: step,outer_loss,seconds,test_loss. When test tasks have query \
            labels, prints test_mse: Σ‖F − Y‖²/(points·outputs) over them on stdout.
            """)

    @Option(help: ArgumentHelp("The task file.", valueName: "T.json"))
    var tasks: String

    @Option(help: ArgumentHelp("The training method.", valueName: "method"))
    var method: FiniteMethod

    @OptionGroup var training: FiniteRunOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("The seed of the initialisation (default: 0).", valueName: "s"), transform: parseSeed)
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("The predictions CSV to write.", valueName: "P.csv"))
    var out: String

    @Option(help: ArgumentHelp("Write the training curve here.", valueName: "L.csv"))
    var log: String?

    @Option(name: .customLong("test-loss-every"), parsing: .unconditional,
            help: ArgumentHelp("With --log, evaluate the test loss every k steps (0: never).", valueName: "k"))
    var testLossEvery = 1

    func validate() throws {
        try FlagBounds.require(testLossEvery, atLeast: 0, "--test-loss-every")
    }

    func run() throws {
        let width = try training.network.finiteWidth()
        training.warnDeprecatedFlags(by: "finite")
        if method != .mtl { training.multitask.warnIgnored(by: "finite", method: method.rawValue) }
        try RunGuards.refuseCollisions(inputs: [("--tasks", tasks)], outputs: [("--out", out)] + (log.map { [("--log", $0)] } ?? []))
        let taskSet = try TaskSet(taskFile: tasks)
        try training.network.checkInputDimension(taskSet.inputDimension, of: "--tasks \(tasks)")
        guard !taskSet.test.isEmpty else { throw CommandFailure("--tasks \(tasks) has no test tasks to predict") }
        try RunGuards.refuseOversize(RunGuards.finiteEstimate(taskSet, width: width, run: training),
                                     outputFolder: RunGuards.folder(of: out), flags: RunGuards.taskFileFlags)
        var learner = try training.settings(trainTasks: taskSet.train.count)
            .learner(method, tasks: taskSet, architecture: training.architecture(), width: width, seed: seed)
        let progress = ProgressReporter(label: "finite \(method.rawValue)", total: learner.scheduledSteps + 1)
        let trainingLog = try learner.train(testLossEvery: log == nil ? 0 : testLossEvery) { entry in
            progress.advance(note: String(format: "step %d, outer loss %.4g", entry.step, entry.outerLoss))
        }
        let predictions = try learner.predictions()
        if let log {
            var table = CSVTable(columns: ["step", "outer_loss", "seconds", "test_loss"],
                                 comments: Provenance.comments(commandLine: CommandLine.arguments, seeds: "\(seed)",
                                                               configuration: "method=\(method.rawValue) width=\(width)"))
            for e in trainingLog.entries {
                table.append(["\(e.step)", csvCell(e.outerLoss), csvCell(e.seconds), csvCell(e.testLoss)])
            }
            try table.write(to: log)
        }
        try PredictionFile.write(predictions, to: out)
        if let error = QueryLabelMSE(predictions, tasks: taskSet.test) { print(error.line) }
    }
}

/// Parses `--method` or a `--methods` list.
func parseFiniteMethods(_ text: String, flag: String) throws -> [FiniteMethod] {
    try text.split(separator: ",").map { name in
        guard let method = FiniteMethod(rawValue: String(name)) else {
            throw ValidationError("\(flag): '\(name)' is not mtl, anil, maml or fomaml")
        }
        return method
    }
}
