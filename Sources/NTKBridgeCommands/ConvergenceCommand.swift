import ArgumentParser
import FewShot
import FiniteWidth
import Foundation
import Paradigms
import Reports
import Studies

/// `ntkbridge convergence`: finite networks trained at growing widths against their kernel
/// predictors (theory.md §7). Resumable.
struct ConvergenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convergence",
        abstract: "Train each method at each width and seed, and measure the distance to the infinite-width predictor.",
        discussion: """
            For every width and seed: the empirical NTK and NNGP at initialisation against the analytic \
            kernels, then each method trained as by `finite` and its test predictions against the kernel \
            predictor with the same discrete hyperparameters, and the finite MTL–ANIL distance beside the \
            analytic one. Writes DIR/convergence.csv (width,seed,method,quantity,value), DIR/summary.csv \
            (medians over seeds and slopes of log median against log width), and figures \
            DIR/prediction_error_vs_width, DIR/kernel_error_vs_width and DIR/mtl_anil_distance_vs_width \
            (.png and .svg). An interrupted study resumes from the widths and seeds already measured. \
            The tasks are --tasks T.json, or --family F drawn once with --seed (as `ntkbridge tasks` would \
            draw them with the same flags).
            """)

    @OptionGroup var source: TaskSourceOptions

    @Option(help: ArgumentHelp("The methods trained (a comma-separated list).", valueName: "list"))
    var methods = ValueList<FiniteMethod>([.mtl, .anil, .maml])

    @Option(help: ArgumentHelp("Widths, e.g. 64,128,256,512,1024.", valueName: "list"))
    var widths: String

    @Option(parsing: .unconditional, help: ArgumentHelp("The first seed (default: 0).", valueName: "s"), transform: parseSeed)
    var seed: UInt64 = 0

    @Option(parsing: .unconditional, help: ArgumentHelp("Number of seeds: s, s+1, ….", valueName: "k"))
    var seeds = 3

    @OptionGroup var training: FiniteRunOptions

    @OptionGroup var integration: QuadratureOptions

    @Option(help: ArgumentHelp("Output folder.", valueName: "DIR"))
    var out: String

    @Flag(name: .customLong("no-figures"), help: "Skip the gnuplot figures.")
    var noFigures = false

    @OptionGroup var sharding: ShardOptions

    /// The tables written into --out (the figures are regenerated from them).
    static let outputFiles = ["convergence.csv", "summary.csv"]
        + ["prediction_error_vs_width", "kernel_error_vs_width", "mtl_anil_distance_vs_width"].flatMap { [$0 + ".png", $0 + ".svg"] }

    func validate() throws {
        try FlagBounds.require(seeds, atLeast: 1, "--seeds")
    }

    func run() throws {
        let shard = try sharding.parsed()
        let widthList = try parsePositiveIntegers(widths, flag: "--widths")
        let methodList = methods.elements
        if training.network.width != nil { throw ValidationError("--width: use --widths for a convergence study") }
        try source.requireOneSource(drawnPer: "once, with --seed")
        training.warnDeprecatedFlags(by: "convergence")
        try RunGuards.refuseCollisions(inputs: source.inputFiles,
                                       outputs: RunGuards.folderOutputs("--out", out, files: ConvergenceCommand.outputFiles))
        let taskSet = try source.taskSet(seed: seed)
        try training.network.checkInputDimension(taskSet.inputDimension, of: source.flagText)
        guard !taskSet.test.isEmpty else { throw CommandFailure("\(source.flagText) has no test tasks to predict") }
        let rows = Double(widthList.count) * Double(seeds) * Double(methodList.count + 1) * 6
        try RunGuards.refuseOversize(RunGuards.predictorEstimate(taskSet, depths: 1, deepest: training.depth)
                                        + RunGuards.finiteEstimate(taskSet, width: widthList.max()!, run: training)
                                        + .table(rows: rows, columns: 5),
                                     outputFolder: out, flags: source.sizeFlags.merging([.width: "--widths"]) { $1 })
        let seedValues = seedList(first: seed, count: seeds)
        let architecture = try training.architecture(), settings = try training.settings(trainTasks: taskSet.train.count)
        let reference = try KernelReference(tasks: taskSet, architecture: architecture, settings: settings, methods: methodList,
                                            quadrature: integration.rule)

        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let tablePath = out + "/convergence.csv"
        let content = try source.tasks.map { try ContentHash.of(file: $0) } ?? ContentHash.of(Data(taskSet.taskFileBytes()))
        let configuration = SweepSettings(text: "tasks-content=\(content) methods=\(methods.text) "
                                                + training.configuration
                                                + (integration.quadrature == .trapezoid ? "" : " quadrature=\(integration.quadrature.text)"))
        let comments = Provenance.comments(commandLine: CommandLine.arguments, seeds: "\(seed)…\(seedValues.last!)",
                                           configuration: configuration.text)
        let setting = "\(training.network.activation), depth \(training.depth), \(taskSet.train.count) tasks"
        if let shard {
            // Points enumerated width by width, seed by seed: the row order of convergence.csv.
            let manifest = ShardManifest(command: "convergence", shard: shard, points: widthList.count * seeds,
                                         sweep: "widths=\(widths) seeds=\(seed)…\(seedValues.last!)", configuration: configuration.text,
                                         facts: ["setting": setting, "seed-count": "\(seeds)", "first-seed": "\(seed)",
                                                 "methods": methods.text, "analytic-mtl-vs-anil": csvCell(reference.mtlToANIL)])
            try claimShardFolder(manifest, folder: out, table: "convergence.csv")
        }
        var table = try ResumableTable.open(tablePath, columns: ConvergenceReport.columns, settings: configuration,
                                            comments: comments, mayChange: "--widths, --seed and --seeds")
        var done = ConvergenceReport.measurements(table, methods: methodList)
        var weights: [Double] = []
        for (w, width) in widthList.enumerated() {
            for k in 0..<seeds where shard?.owns(w * seeds + k) ?? true {
                weights += StudyWorkWeights.convergence(widths: [width], seeds: 1, methods: methodList, settings: settings,
                                                        tasks: taskSet, depth: training.depth,
                                                        outerSteps: training.outerLoop.metaSteps ?? 1)
            }
        }
        let progress = ProgressReporter(label: "convergence", weights: weights)
        for (w, width) in widthList.enumerated() {
            for (k, s) in seedValues.enumerated() where shard?.owns(w * seeds + k) ?? true {
                if done.contains(where: { $0.width == width && $0.seed == s }) {
                    progress.skip(by: methodList.count, note: "width \(width), seed \(s) (already in \(tablePath))")
                    continue
                }
                let measured = try ConvergenceSweep.measure(tasks: taskSet, architecture: architecture, settings: settings,
                                                            methods: methodList, width: width, seed: s, reference: reference) {
                    progress.advance(note: "width \(width), seed \(s), \($0.rawValue)")
                }
                done.append(measured)
                let others = table.rows.filter { $0[0] != "\(width)" || $0[1] != "\(s)" }
                table = CSVTable(columns: table.columns, comments: comments, rows: others + ConvergenceReport.rows(measured))
                try table.write(to: tablePath)
            }
        }
        if let shard {
            print("convergence: shard \(shard) complete → \(out); join the shards with `ntkbridge merge DIR… --out DIR`")
            return
        }
        let wanted = done.filter { widthList.contains($0.width) && Set(seedValues).contains($0.seed) }
        let summary = ConvergenceSummary(wanted, analyticMTLToANIL: reference.mtlToANIL)
        let curves = summary.kernelErrors + summary.predictionErrors + (summary.mtlToANIL.map { [$0] } ?? [])
        if !curves.isEmpty, curves.allSatisfy({ $0.medians.allSatisfy { !$0.isFinite } }) {
            throw CommandFailure("every measurement of the study is undefined (at every width, seed and method); "
                                 + "\(tablePath) keeps the measurements; no summary or figures were written")
        }
        try ConvergenceReport.summaryTable(summary, comments: comments).write(to: out + "/summary.csv")
        if !noFigures {
            do { try ConvergenceReport.renderFigures(summary, in: out, setting: setting) } catch {
                FileHandle.standardError.write(Data("convergence: figures skipped: \(error)\n".utf8))
            }
        }
        print(ConvergenceReport.text(summary, title: "convergence: \(setting), \(seeds) seed(s) → \(out)"), terminator: "")
    }
}

/// A sweep's tidy table, resumed from an earlier run with the same settings (keyed by content:
/// the task file's hash and every setting; `mayChange` names the flags a resumed run may change).
enum ResumableTable {
    static func open(_ path: String, columns: [String], settings: SweepSettings, comments: [String],
                     mayChange: String) throws -> CSVTable {
        do {
            return try CSVTable.resuming(path, columns: columns, settings: settings, comments: comments)
        } catch let error as ResumeError {
            let flag = { (name: String) in name == "tasks-content" ? "the content of --tasks (its hash)" : "--" + name }
            throw CommandFailure(error.description(naming: flag) + "; a sweep resumes only with the same settings "
                                 + "(\(mayChange) may change): choose another --out or remove \(path)")
        }
    }
}
