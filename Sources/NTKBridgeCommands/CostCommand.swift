import ArgumentParser
import FewShot
import FiniteWidth
import Foundation
import Reports

/// `ntkbridge cost`: the wall time of MTL against ANIL, MAML and FOMAML on the same tasks and
/// width — per outer step and to reach a given test loss.
struct CostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cost",
        abstract: "Compare the training cost of MTL, ANIL, MAML and FOMAML at one width.",
        discussion: """
            Trains each method from the same initialisation — for --meta-steps steps, or for --time-budget \
            seconds of training time — and logs the test loss (Σ ½‖F − Y‖² on the test tasks after test-time \
            adaptation) every --test-loss-every steps against the wall time of training alone. Writes DIR/curves.csv (method,step,seconds,outer_loss,test_loss), DIR/cost.csv (time per \
            step, its ratio to MTL's, and steps and seconds to reach --target-test-loss; by default the worst \
            method's best test loss, which every method reaches) and DIR/test_loss_vs_seconds.{png,svg}.
            """)

    @Option(help: ArgumentHelp("The task file (test tasks need query labels).", valueName: "T.json"))
    var tasks: String

    @Option(help: ArgumentHelp("Methods (default mtl,anil,maml,fomaml).", valueName: "list"))
    var methods = "mtl,anil,maml,fomaml"

    @Option(parsing: .unconditional, help: ArgumentHelp("The seed of the initialisation (default 0).", valueName: "s"), transform: parseSeed)
    var seed: UInt64 = 0

    @OptionGroup var training: RunOptions

    @Option(name: .customLong("test-loss-every"), parsing: .unconditional, help: ArgumentHelp("Evaluate the test loss every k steps (default 5).", valueName: "k"))
    var testLossEvery = 5

    @Option(name: .customLong("meta-rate-fraction"), parsing: .unconditional,
            help: ArgumentHelp("Instead of one --meta-rate for all: each method's outer rate as this fraction of its own "
                               + "stability bound 2/λ_max (Φ̂ or Θ̂_MTL at initialisation).", valueName: "f"))
    var metaRateFraction: Double?

    @Option(name: .customLong("time-budget"), parsing: .unconditional,
            help: ArgumentHelp("Train each method for this many seconds of training time (at most --meta-steps steps), "
                               + "so that all are compared over the same time.", valueName: "seconds"))
    var timeBudget: Double?

    @Option(name: .customLong("target-test-loss"), parsing: .unconditional,
            help: ArgumentHelp("The test loss whose time to reach is compared.", valueName: "ℓ"))
    var targetTestLoss: Double?

    @Option(help: ArgumentHelp("Output folder.", valueName: "DIR"))
    var out: String

    @Flag(name: .customLong("no-figures"), help: "Skip the gnuplot figure.")
    var noFigures = false

    /// The files written into --out.
    static let outputFiles = ["curves.csv", "cost.csv", "test_loss_vs_seconds.png", "test_loss_vs_seconds.svg"]

    @OptionGroup var sharding: ShardOptions

    func run() throws {
        let width = try training.network.finiteWidth()
        let shard = try sharding.parsed()
        // A shard trains the methods whose place in --methods is ≡ i (mod N).
        let methodList = try parseFiniteMethods(methods, flag: "--methods").enumerated()
            .filter { shard?.owns($0.offset) ?? true }.map(\.element)
        guard testLossEvery >= 1 else { throw ValidationError("--test-loss-every must be at least 1, got \(testLossEvery)") }
        if let timeBudget, !(timeBudget > 0 && timeBudget.isFinite) {
            throw ValidationError("--time-budget must be a positive number of seconds, got \(timeBudget)")
        }
        try RunGuards.refuseCollisions(inputs: [("--tasks", tasks)], outputs: RunGuards.folderOutputs("--out", out, files: CostCommand.outputFiles))
        if let targetTestLoss, !(targetTestLoss >= 0 && targetTestLoss.isFinite) {
            throw ValidationError("--target-test-loss must be a finite number ≥ 0, got \(targetTestLoss)")
        }
        let taskSet = try TaskSet(taskFile: tasks)
        guard !taskSet.test.isEmpty, taskSet.test.allSatisfy({ $0.queryLabels != nil }) else {
            throw CommandFailure("--tasks \(tasks): a cost comparison needs test tasks with query labels")
        }
        try RunGuards.refuseOversize(RunGuards.finiteEstimate(taskSet, width: width, run: training)
                                        .times(Double(methodList.count), .methods),
                                     outputFolder: out, flags: RunGuards.taskFileFlags)
        let architecture = try training.architecture()
        var options = training
        if let fraction = metaRateFraction {
            guard fraction > 0 && fraction < 1 else {
                throw ValidationError("--meta-rate-fraction must lie strictly between 0 and 1, got \(fraction)")
            }
            guard options.outerLoop.metaRate == nil else { throw ValidationError("give --meta-rate or --meta-rate-fraction, not both") }
            options.outerLoop.metaRate = 1   // replaced below by each method's own rate
        }
        let settings = try options.settings(trainTasks: taskSet.train.count)
        let configuration = "tasks=\(tasks) width=\(width) " + training.configuration
        let setting = "width \(width), \(training.network.activation), depth \(training.depth), \(taskSet.train.count) tasks"
        if let shard {
            return try runShard(shard, methodList: methodList, settings: settings, taskSet: taskSet, architecture: architecture,
                                width: width, configuration: configuration, setting: setting)
        }
        var rates: [FiniteMethod: Double] = [:]
        var learners = try methodList.map { method -> any FiniteLearner in
            var chosen = settings
            if let fraction = metaRateFraction {
                let bound = try settings.stableOuterRate(method, tasks: taskSet, architecture: architecture, width: width, seed: seed)
                chosen = settings.withOuterRate(fraction * bound)
            }
            if case let .gradientDescent(rate, _) = chosen.training { rates[method] = rate }
            return try chosen.learner(method, tasks: taskSet, architecture: architecture, width: width, seed: seed)
        }
        var runs: [CostReport.Run] = []
        for (k, method) in methodList.enumerated() {
            let steps = Double(learners[k].scheduledSteps)
            let progress = ProgressReporter(label: "cost \(method.rawValue)", total: learners[k].scheduledSteps + 1)
            let log = try learners[k].train(testLossEvery: testLossEvery, maxSeconds: timeBudget ?? .infinity) { entry in
                // Whichever bound comes first: the steps or the time budget.
                let fraction = max(Double(entry.step) / steps, entry.seconds / (timeBudget ?? .infinity))
                progress.report(fraction: fraction, note: String(format: "step %d, %.2f s", entry.step, entry.seconds))
            }
            progress.note("\(log.entries.last!.step) steps in \(String(format: "%.2f", log.entries.last!.seconds)) s")
            runs.append(CostReport.Run(method: method, outerRate: rates[method]!, log: log))
        }
        let target = targetTestLoss ?? CostReport.defaultTarget(runs)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let comments = Provenance.comments(commandLine: CommandLine.arguments, seeds: "\(seed)",
                                           configuration: configuration)
        try CostReport.curvesTable(runs, comments: comments).write(to: out + "/curves.csv")
        try CostReport.costTable(runs, target: target, comments: comments).write(to: out + "/cost.csv")
        if !noFigures {
            do { try CostReport.renderFigure(runs, in: out, setting: setting) } catch {
                FileHandle.standardError.write(Data("cost: figure skipped: \(error)\n".utf8))
            }
        }
        print(CostReport.text(runs, target: target, title: "cost: \(setting) → \(out)"), terminator: "")
    }
}
