import ArgumentParser
import FewShot
import Foundation
import InfiniteWidth
import Paradigms
import Reports
import Studies

/// `ntkbridge closeness`: the MTL–GBML distance over depths and inner-loop lengths, over seeds
/// (theory.md §6), as tidy CSV, summaries, fitted rates and figures. Resumable.
struct ClosenessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "closeness",
        abstract: "Sweep the distance between MTL and GBML predictors over depth and inner-loop length.",
        discussion: """
            For each seed, draws a task set from the family, computes every depth's kernels in one pass, and \
            measures ‖F_MTL − F_GBML‖ on the test tasks for every λτ, head correlation ρ and GBML method. \
            Writes DIR/closeness.csv (one row per seed × depth × λτ × ρ × method), DIR/summary.csv (over seeds), \
            DIR/rates.csv and DIR/local_slopes.csv (least-squares slopes of log distance against log L and \
            log λτ), and figures DIR/distance_vs_depth_*.{png,svg} and DIR/distance_vs_inner_time_*.{png,svg}. \
            An interrupted sweep resumes from the seeds already in DIR/closeness.csv. With --tasks T.json in place \
            of --family, the sweep runs on that one task set (its seed column holds --seed).
            """)

    @OptionGroup var source: TaskSourceOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("The first seed (default: 0).", valueName: "s"), transform: parseSeed)
    var seed: UInt64 = 0

    @Option(parsing: .unconditional, help: ArgumentHelp("Number of seeds: s, s+1, ….", valueName: "k"))
    var seeds = 1

    @OptionGroup var network: ArchitectureOptions

    @Option(help: ArgumentHelp("Depths, e.g. 1,2,4,8,16,32,64,128,256.", valueName: "list"))
    var depths: String

    @Option(name: .customLong("inner-times"), help: ArgumentHelp("λτ values, e.g. 1e-3,1e-2,0.1,1,10.", valueName: "list"))
    var innerTimes: String

    @OptionGroup var integration: QuadratureOptions

    @Option(help: ArgumentHelp("The inner loop at each λτ: continuous (gradient flow for time λτ/λ; the predictors depend "
                               + "on λτ alone) or discrete (--inner-steps τ steps of rate λτ/τ).", valueName: "solver"))
    var inner: SweptSolverName = .continuous

    @Option(name: .customLong("inner-steps"), parsing: .unconditional,
            help: ArgumentHelp("τ, the number of steps of --inner discrete (required there).", valueName: "τ"))
    var innerSteps: Double?

    /// Gradient flow depends on λτ alone, so λ has no effect here: kept, hidden, for older command lines.
    @Option(name: .customLong("inner-rate"), parsing: .unconditional, help: .hidden)
    var deprecatedInnerRate: Double?

    @Option(name: .customLong("test-adaptation"),
            help: ArgumentHelp("Test-time adaptation of both predictors: tied (the training inner loop at each λτ, default), "
                               + "exact, ridge:<μ>, continuous:<λ>,<τ> or discrete:<λ>,<τ>.", valueName: "solver"))
    var testAdaptation = "tied"

    @OptionGroup var outerLoop: OuterLoopOptions

    @Option(name: .customLong("head-correlations"), help: ArgumentHelp("MTL head correlations ρ.", valueName: "list"))
    var headCorrelations = "1"

    @Option(name: .customLong("mtl-data"), help: ArgumentHelp("What each MTL head trains on.", valueName: "data"))
    var mtlData: MTLSettings.TrainingData = .query

    @Option(name: .customLong("new-head"), help: ArgumentHelp("A new task's MTL head.", valueName: "start"))
    var newHead: MTLSettings.NewHead = .initialization

    @Option(help: ArgumentHelp("GBML methods compared with MTL (a comma-separated list).", valueName: "list"))
    var methods = ValueList<GBMLMethod>([.anil, .maml])

    @Option(help: ArgumentHelp("Output folder.", valueName: "DIR"))
    var out: String

    @Flag(name: .customLong("no-figures"), help: "Skip the gnuplot figures.")
    var noFigures = false

    @OptionGroup var sharding: ShardOptions

    func validate() throws {
        try FlagBounds.require(seeds, atLeast: 1, "--seeds")
    }

    func run() throws {
        let shard = try sharding.parsed()
        try source.requireOneSource(drawnPer: "per seed")
        if let rate = deprecatedInnerRate {
            CommandWarning.print("closeness", "--inner-rate \(rate) is ignored and deprecated: the swept predictors depend on "
                                 + "λτ alone (continuous) or on λτ and --inner-steps τ (discrete, rate λτ/τ)")
        }
        network.warnWidthIgnored(by: "closeness")
        let fixedTasks = try source.fileTasks()
        if let fixedTasks, let tasks = source.tasks {
            guard !fixedTasks.test.isEmpty else { throw CommandFailure("--tasks \(tasks) has no test tasks to measure on") }
            guard seeds == 1 else {
                throw ValidationError("--seeds: --tasks gives one task set, and the infinite-width predictors on it are "
                                      + "deterministic; give --seeds only with --family")
            }
        }
        let settings = try sweepSettings(trainTaskCount: fixedTasks?.train.count ?? source.trainTasks)
        let taskFamily = try source.taskFamily()
        if network.conv != nil {
            let dimension = try fixedTasks?.inputDimension
                ?? taskFamily!.tasks(trainTasks: 1, testTasks: 1, support: 1, query: 1, seed: seed).inputDimension
            try network.checkInputDimension(dimension, of: source.flagText)
        }
        try RunGuards.refuseCollisions(inputs: source.inputFiles,
                                       outputs: RunGuards.folderOutputs("--out", out, files: ["closeness.csv", "summary.csv",
                                                                                              "rates.csv", "local_slopes.csv"]))
        let rowsPerSeed = settings.depths.count * settings.innerTimes.count * settings.headCorrelations.count * settings.methods.count
        let taskSize = try taskFamily.map {
            try source.familyOptions.taskSetEstimate($0, trainTasks: source.trainTasks, testTasks: source.testTasks,
                                                     support: source.support, query: source.query, seed: seed)
        } ?? (estimate: ResourceEstimate(memoryBytes: 0, diskBytes: 0, drivenBy: []), points: RunGuards.stackedPoints(fixedTasks!))
        try RunGuards.refuseOversize(taskSize.estimate
                                        + .kernelPredictors(points: taskSize.points, depths: Double(settings.depths.count),
                                                            deepest: Double(settings.depths.max()!))
                                        + .table(rows: Double(seeds) * Double(rowsPerSeed), columns: Double(ClosenessReport.columns.count)),
                                     outputFolder: out, flags: source.sizeFlags)
        let seedValues = seedList(first: seed, count: seeds)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let tablePath = out + "/closeness.csv"
        let configuration = SweepSettings(text: try configurationDescription(settings))
        let comments = Provenance.comments(commandLine: CommandLine.arguments, seeds: "\(seed)…\(seedValues.last!)",
                                           configuration: configuration.text)
        let rowsPerDepth = settings.innerTimes.count * settings.headCorrelations.count * settings.methods.count
        if let shard {
            guard Set(settings.depths).count == settings.depths.count else {
                throw ValidationError("--depths: a sharded sweep needs each depth once, got \(depths)")
            }
            try claimShardFolder(shardManifest(shard, configuration: configuration.text, rowsPerDepth: rowsPerDepth,
                                               lastSeed: seedValues.last!),
                                 folder: out, table: "closeness.csv")
        }
        var table = try ResumableTable.open(tablePath, columns: ClosenessReport.columns, settings: configuration,
                                            comments: comments, mayChange: "--seed and --seeds")
        // A shard computes the points p = seed index × #depths + depth index with p ≡ i (mod N).
        let ownDepths = (0..<seeds).map { k in settings.depths.indices.filter { shard?.owns(k * settings.depths.count + $0) ?? true } }
        let shape = fixedTasks.map { (train: $0.train.count, support: $0.train.first?.supportCount ?? 1,
                                      query: $0.train.first?.queryCount ?? 1) }
            ?? (train: source.trainTasks, support: source.support, query: source.query)
        let weights = ownDepths.flatMap { own in
            StudyWorkWeights.closeness(depths: own.map { settings.depths[$0] }, seeds: 1, points: Int(taskSize.points),
                                       trainTasks: shape.train, support: shape.support, query: shape.query,
                                       innerTimes: settings.innerTimes.count, headCorrelations: settings.headCorrelations.count,
                                       methods: settings.methods.count)
        }
        let progress = ProgressReporter(label: "closeness", weights: weights)
        var failures: [Int: String] = [:]   // depth → the first failure met there
        for (k, s) in seedValues.enumerated() {
            var settings = settings
            settings.depths = ownDepths[k].map { settings.depths[$0] }
            if settings.depths.isEmpty { continue }
            if table.values(of: "seed").filter({ $0 == "\(s)" }).count == settings.depths.count * rowsPerDepth {
                progress.skip(by: settings.depths.count, note: "seed \(s) (already in \(tablePath))")
                continue
            }
            let taskSet = try fixedTasks ?? source.draw(taskFamily!, seed: s)
            guard !taskSet.test.isEmpty else { throw ValidationError("--test-tasks must be at least 1") }
            let records = try ClosenessSweep.run(tasks: taskSet, seed: s, settings: settings,
                                                 describeFailure: NTKBridge.commandLineDescription(of:)) { depth in
                progress.advance(note: "seed \(s), depth \(depth)")
            }
            for record in records where record.failure != nil && failures[record.depth] == nil {
                failures[record.depth] = record.failure
            }
            table = CSVTable(columns: table.columns, comments: comments,
                             rows: table.rows.filter { $0[0] != "\(s)" } + records.map(ClosenessReport.row))
            try table.write(to: tablePath)
        }
        for (depth, failure) in failures.sorted(by: { $0.key < $1.key }) {
            progress.note("depth \(depth): some distances are undefined (see the failure column of \(tablePath)): \(failure)")
        }
        if let shard {
            print("closeness: shard \(shard) complete → \(out); join the shards with `ntkbridge merge DIR… --out DIR`")
            return
        }
        try writeSummary(table: table, settings: settings, seeds: Set(seedValues), comments: comments)
    }

    /// The manifest of a shard: points enumerated seed by seed, depth by depth (the row order of
    /// closeness.csv), and the figure title the merge needs.
    private func shardManifest(_ shard: SweepShard, configuration: String, rowsPerDepth: Int, lastSeed: UInt64) -> ShardManifest {
        ShardManifest(command: "closeness", shard: shard, points: seeds * depths.split(separator: ",").count,
                      sweep: "seeds=\(seed)…\(lastSeed) depths=\(depths)", configuration: configuration,
                      facts: ["setting": figureSetting, "seed-count": "\(seeds)", "first-seed": "\(seed)", "depths": depths,
                              "rows-per-point": "\(rowsPerDepth)"])
    }

    var figureSetting: String {
        "\(source.family?.rawValue ?? source.tasks!), \(network.activation), σ_w = \(String(format: "%.3g", network.weightStd)), σ_b = \(String(format: "%.3g", network.biasStd))"
    }

    private func writeSummary(table: CSVTable, settings: ClosenessSweepSettings, seeds wanted: Set<UInt64>, comments: [String]) throws {
        let records = table.rows.compactMap(ClosenessReport.record).filter { wanted.contains($0.seed) }
        if !records.isEmpty, records.allSatisfy({ !$0.relative.mean.isFinite }) {
            let cause = records.lazy.compactMap(\.failure).first.map { ": \($0)" } ?? ""
            throw CommandFailure("every distance of the sweep is undefined (at every depth, λτ, ρ and method)\(cause); "
                                 + "\(out)/closeness.csv records why, point by point; no summary, rates or figures were written")
        }
        let summary = ClosenessSummary(records)
        try ClosenessReport.summaryTable(summary, comments: comments).write(to: out + "/summary.csv")
        try ClosenessReport.ratesTable(summary, comments: comments).write(to: out + "/rates.csv")
        try ClosenessReport.localSlopesTable(summary, comments: comments).write(to: out + "/local_slopes.csv")
        let setting = figureSetting
        if !noFigures {
            do {
                try ClosenessReport.renderFigures(summary, in: out, setting: setting)
            } catch {
                FileHandle.standardError.write(Data("closeness: figures skipped: \(error)\n".utf8))
            }
        }
        print(ClosenessReport.ratesText(summary, title: "closeness: \(setting), \(seeds) seed(s) → \(out)"), terminator: "")
    }

    private func sweepSettings(trainTaskCount: Int) throws -> ClosenessSweepSettings {
        let depthList = try parsePositiveIntegers(depths, flag: "--depths")
        if let repeated = depthList.first(where: { d in depthList.filter { $0 == d }.count > 1 }) {
            throw ValidationError("--depths lists \(repeated) more than once (each depth is measured once)")
        }
        let architecture = try network.architecture(depth: depthList.max()!)
        let times = try parsePositiveNumbers(innerTimes, flag: "--inner-times")
        if let repeated = times.first(where: { t in times.filter { $0 == t }.count > 1 }) {
            throw ValidationError("--inner-times lists \(repeated) more than once (each λτ is measured once)")
        }
        let innerLoop: InnerLoopLength
        switch inner {
        case .continuous:
            if let innerSteps {
                CommandWarning.print("closeness", "--inner-steps \(innerSteps) is ignored: it is the step count of --inner discrete")
            }
            innerLoop = .continuous(rate: 1)   // the time is λτ/λ: only λτ matters
        case .discrete:
            guard let innerSteps else { throw ValidationError("--inner discrete needs --inner-steps τ, the number of steps") }
            guard innerSteps == innerSteps.rounded(), innerSteps >= 1, innerSteps <= Double(Int32.max) else {
                throw ValidationError("--inner-steps must be a whole number of steps (≥ 1), got \(innerSteps)")
            }
            innerLoop = .discrete(steps: Int(innerSteps))
        }
        let rhos = try headCorrelations.split(separator: ",").map { text -> Double in
            guard let rho = Double(text.trimmingCharacters(in: .whitespaces)), rho >= -1 / Double(max(trainTaskCount - 1, 1)), rho <= 1 else {
                throw ValidationError("--head-correlations: '\(text)' is not in [\(-1 / Double(max(trainTaskCount - 1, 1))), 1]")
            }
            return rho
        }
        return ClosenessSweepSettings(architecture: architecture, quadrature: integration.rule, depths: depthList,
                                      innerTimes: times, innerLoop: innerLoop, testSolver: try fixedTestSolver(),
                                      training: try outerLoop.training(), diagonalRegularization: outerLoop.diagonalRegularization,
                                      headCorrelations: rhos, mtlData: mtlData, newHead: newHead, methods: methods.elements)
    }

    /// The fixed test-time solver of `--test-adaptation`, or nil for tied.
    private func fixedTestSolver() throws -> InnerSolver? {
        let parts = testAdaptation.split(separator: ":", maxSplits: 1).map(String.init)
        let numbers = parts.count > 1 ? parts[1].split(separator: ",").map { Double($0) } : []
        func invalid() -> ValidationError {
            ValidationError("--test-adaptation must be tied, exact, ridge:<μ>, continuous:<λ>,<τ> or discrete:<λ>,<τ>, got '\(testAdaptation)'")
        }
        guard numbers.allSatisfy({ $0 != nil && $0! > 0 && $0!.isFinite }) else { throw invalid() }
        let values = numbers.map { $0! }
        switch (parts[0], values.count) {
        case ("tied", 0): return nil
        case ("exact", 0): return .exact
        case ("ridge", 1): return .ridge(penalty: values[0])
        case ("continuous", 2): return .gradientFlow(rate: values[0], time: values[1])
        case ("discrete", 2) where values[1] == values[1].rounded(): return .gradientDescent(rate: values[0], steps: Int(values[1]))
        default: throw invalid()
        }
    }

    /// Everything that determines the rows of one seed, for matching a resumed run.
    private func configurationDescription(_ settings: ClosenessSweepSettings) throws -> String {
        return (try source.configuration() + [
                "activation=\(settings.architecture.activation)", "w-std=\(network.weightStd)",
                "b-std=\(network.biasStd)", "out-w-std=\(network.readoutWeightStd.map { "\($0)" } ?? "-")",
                "out-b-std=\(network.readoutBiasStd.map { "\($0)" } ?? "-")", "parameterization=\(network.parameterization.rawValue)",
                "width=\(network.width.map(String.init) ?? "-")", "quadrature=\(integration.quadrature.text)", "depths=\(settings.depths.map(String.init).joined(separator: ","))",
                "inner-times=\(innerTimes)", "inner=\(inner.rawValue)", "inner-rate=1.0", "inner-steps=\(innerSteps.map { "\(Int($0))" } ?? "1")",
                "test-adaptation=\(testAdaptation)", "meta-time=\(outerLoop.metaTime.map { "\($0)" } ?? "inf")",
                "meta-rate=\(outerLoop.metaRate.map { "\($0)" } ?? "-")", "meta-steps=\(outerLoop.metaSteps.map(String.init) ?? "-")",
                "diag-reg=\(outerLoop.diagonalRegularization)", "head-correlations=\(headCorrelations)", "mtl-data=\(mtlData.rawValue)",
                "new-head=\(newHead.rawValue)", "methods=\(methods.text)"]
            + (network.conv == nil ? [] : [network.convolutionConfiguration])).joined(separator: " ")
    }
}

/// Parses a comma-separated list of positive numbers (`--inner-times 1e-3,1e-2`).
func parsePositiveNumbers(_ text: String, flag: String) throws -> [Double] {
    try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
        let trimmed = part.trimmingCharacters(in: .whitespaces)
        guard let value = Double(trimmed), value > 0, value.isFinite else {
            throw ValidationError("\(flag): '\(trimmed)' is not a positive number (expected a list like 1e-3,1e-2,0.1)")
        }
        return value
    }
}
