import ArgumentParser
import FewShot
import FiniteWidth
import Foundation
import Reports
import Studies

/// `ntkbridge cost`: the training cost of MTL against ANIL, MAML and FOMAML on the same tasks and
/// width, under the protocol of `CostStudy` (held-out validation tasks, one test-time adaptation
/// for all, repeats, CPU time and pass counts beside wall time).
struct CostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cost",
        abstract: "Compare the training cost of MTL, ANIL, MAML and FOMAML at one width.",
        discussion: """
            The last --validation-tasks training tasks are held out. Each method is trained --repeats times \
            (seeds s, s+1, …) from the same initialisations, for --time-budget seconds of training time or \
            --meta-steps steps, whichever comes first; every --evaluate-every steps the validation loss \
            Σ ½‖F − Y‖² on the held-out tasks is computed after the same test-time adaptation for every method \
            (--test-inner-steps steps on the head alone) and after the method's own (MAML and FOMAML adapt all \
            parameters); evaluations are not timed. The target is --target-validation-loss, or the worst \
            method's median best validation loss; a run that meets it at step 0 or never is reported as such, \
            with a warning. Writes DIR/curves.csv (every evaluation), DIR/runs.csv (one row per run), \
            DIR/cost.csv (per method: medians and ranges over repeats of wall and CPU time per step, passes and \
            GFLOP per step, steps and seconds to the target) and DIR/validation_loss_vs_seconds.{png,svg,gp}. \
            With --shard i/N, only the runs (repeat r, method m) with r·M + m ≡ i (mod N) are trained, into \
            DIR/curves.csv and DIR/shard_runs.csv; `ntkbridge merge` joins the shards and writes the rest. \
            The tasks are --tasks T.json (test tasks need query labels), or --family F drawn once with --seed \
            (as `ntkbridge tasks` would draw them with the same flags).
            """)

    @OptionGroup var source: TaskSourceOptions

    @Option(help: ArgumentHelp("The methods compared (a comma-separated list).", valueName: "list"))
    var methods = ValueList(FiniteMethod.allCases)

    @Option(parsing: .unconditional, help: ArgumentHelp("The seed of the first repeat's initialisation (default: 0).", valueName: "s"),
            transform: parseSeed)
    var seed: UInt64 = 0

    @Option(parsing: .unconditional, help: ArgumentHelp("Repeats per method (seeds s, s+1, …); medians and ranges are over them.", valueName: "R"))
    var repeats = 5

    @Option(name: .customLong("validation-tasks"), parsing: .unconditional,
            help: ArgumentHelp("Training tasks held out as validation tasks (the last V of the file; default: a fifth, at least 1).",
                               valueName: "V"))
    var validationTasks: Int?

    @OptionGroup var training: FiniteRunOptions

    @Option(name: [.customLong("evaluate-every"), .customLong("test-loss-every")], parsing: .unconditional,
            help: ArgumentHelp("Evaluate the validation and test losses every k steps.", valueName: "k"))
    var evaluateEvery = 5

    @Option(name: .customLong("meta-rate-fraction"), parsing: .unconditional,
            help: ArgumentHelp("Each method's outer rate as this fraction of its own stability bound 2/λ_max (Φ̂ or "
                               + "Θ̂_MTL at initialisation); the default unless --meta-rate is given (0.5).", valueName: "f"))
    var metaRateFraction: Double?

    @Option(name: .customLong("time-budget"), parsing: .unconditional,
            help: ArgumentHelp("Train each run for this many seconds of training time (alone, or with --meta-steps as a cap).",
                               valueName: "seconds"))
    var timeBudget: Double?

    @Option(name: .customLong("budget-clock"),
            help: ArgumentHelp("What --time-budget and the figure count: wall seconds, or process CPU seconds "
                               + "(steadier when other work shares the machine).", valueName: "clock"))
    var budgetClock: BudgetClock = .wall

    @Option(name: .customLong("target-validation-loss"), parsing: .unconditional,
            help: ArgumentHelp("The validation loss whose time to reach is compared.", valueName: "ℓ"))
    var targetValidationLoss: Double?

    @Option(help: ArgumentHelp("Output folder.", valueName: "DIR"))
    var out: String

    @Flag(name: .customLong("no-figures"), help: "Skip the gnuplot figure.")
    var noFigures = false

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1, got \(repeats)") }
        guard evaluateEvery >= 1 else { throw ValidationError("--evaluate-every must be at least 1, got \(evaluateEvery)") }
        if let timeBudget, !(timeBudget > 0 && timeBudget.isFinite) {
            throw ValidationError("--time-budget must be a positive number of seconds, got \(timeBudget)")
        }
        if let fraction = metaRateFraction, !(fraction > 0 && fraction < 1) {
            throw ValidationError("--meta-rate-fraction must lie strictly between 0 and 1, got \(fraction)")
        }
        if metaRateFraction != nil, training.outerLoop.metaRate != nil {
            throw ValidationError("give --meta-rate or --meta-rate-fraction, not both")
        }
        if timeBudget == nil, training.outerLoop.metaSteps == nil {
            throw ValidationError("give --time-budget seconds, --meta-steps S, or both")
        }
        if let target = targetValidationLoss, !(target >= 0 && target.isFinite) {
            throw ValidationError("--target-validation-loss must be a finite number ≥ 0, got \(target)")
        }
    }

    /// The files written into --out.
    static let outputFiles = ["curves.csv", "runs.csv", "cost.csv", "validation_loss_vs_seconds.png",
                              "validation_loss_vs_seconds.svg", "validation_loss_vs_seconds.gp"]

    @OptionGroup var sharding: ShardOptions

    func run() throws {
        let width = try training.network.finiteWidth()
        let methodList = methods.elements
        try source.requireOneSource(drawnPer: "once, with --seed")
        training.warnDeprecatedFlags(by: "cost")
        if !methodList.contains(.mtl) { training.multitask.warnIgnored(by: "cost", method: methods.text) }
        try RunGuards.refuseCollisions(inputs: source.inputFiles,
                                       outputs: RunGuards.folderOutputs("--out", out, files: CostCommand.outputFiles))
        let file = try source.taskSet(seed: seed)
        try training.network.checkInputDimension(file.inputDimension, of: source.flagText)
        try RunGuards.refuseOversize(RunGuards.finiteEstimate(file, width: width, run: training)
                                        .times(Double(methodList.count), .methods),
                                     outputFolder: out, flags: source.sizeFlags)
        let validation = validationTasks ?? max(1, file.train.count / 5)
        guard validation >= 1, validation < file.train.count else {
            throw ValidationError("--validation-tasks must be at least 1 and fewer than the \(file.train.count) training "
                                  + "tasks of \(source.flagText), got \(validation)")
        }
        let architecture = try training.architecture()
        var options = training
        let fraction = options.outerLoop.metaRate == nil ? (metaRateFraction ?? 0.5) : nil
        if fraction != nil { options.outerLoop.metaRate = 1 }   // replaced by each method's own rate
        if options.outerLoop.metaSteps == nil { options.outerLoop.metaSteps = Int(Int32.max) }   // the budget decides
        let settings = try options.settings(trainTasks: file.train.count - validation)
        let study = try CostStudy(file: file, validationTasks: validation, settings: settings, architecture: architecture,
                                  width: width, outerRateFraction: fraction, timeBudget: timeBudget ?? .infinity,
                                  evaluateEvery: evaluateEvery, cpuBudget: budgetClock == .cpu)
        let seeds = (0..<repeats).map { seed &+ UInt64($0) }
        let taskKey = try source.tasks ?? source.configuration().joined(separator: " ")
        let configuration = "tasks=\(taskKey) validation-tasks=\(validation) width=\(width) " + training.configuration
        let setting = "width \(width), \(training.network.activation), depth \(training.depth), "
            + "\(file.train.count - validation) + \(validation) tasks"
        if let shard = try sharding.parsed() {
            return try runShard(shard, study: study, methodList: methodList, seeds: seeds,
                                configuration: configuration, setting: setting)
        }
        let progress = ProgressReporter(label: "cost", total: methodList.count * repeats)
        var runs: [CostStudy.Run] = []
        for seed in seeds {
            for method in methodList {
                let steps = Double(options.outerLoop.metaSteps!), budget = timeBudget ?? .infinity
                let run = try study.run(method, seed: seed) { entry in
                    let spent = budgetClock == .cpu ? entry.cpuSeconds : entry.seconds
                    let fraction = min(1, max(Double(entry.step) / steps, spent / budget))
                    progress.report(fraction: (Double(runs.count) + fraction) / Double(methodList.count * repeats),
                                    note: String(format: "%@ seed %llu: step %d, %.2f s", method.rawValue, seed,
                                                 entry.step, entry.seconds))
                }
                runs.append(run)
            }
        }
        let summary = CostSummary(runs, target: targetValidationLoss)
        for warning in summary.warnings { FileHandle.standardError.write(Data("cost: warning: \(warning)\n".utf8)) }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let comments = Provenance.comments(commandLine: CommandLine.arguments, seeds: seeds.map(String.init).joined(separator: ","),
                                           configuration: configuration)
        try CostReport.curvesTable(runs, comments: comments).write(to: out + "/curves.csv")
        if runs.allSatisfy({ run in !run.evaluations.contains { $0.validationLoss.isFinite } }) {
            throw CommandFailure("every validation loss of every run is undefined (training diverged or produced no "
                                 + "number); \(out)/curves.csv keeps the evaluations; no summary or figure was written")
        }
        try CostReport.runsTable(summary, comments: comments).write(to: out + "/runs.csv")
        try CostReport.costTable(summary, comments: comments).write(to: out + "/cost.csv")
        if !noFigures {
            do { try CostReport.renderFigure(summary, in: out, setting: setting, cpuClock: budgetClock == .cpu) } catch {
                FileHandle.standardError.write(Data("cost: figure skipped: \(error)\n".utf8))
            }
        }
        print(CostReport.text(summary, title: "cost: \(setting) → \(out)", cpuClock: budgetClock == .cpu), terminator: "")
    }
}

/// The clock of `cost --time-budget`.
enum BudgetClock: String, ExpressibleByArgument, CaseIterable {
    case wall, cpu
}
