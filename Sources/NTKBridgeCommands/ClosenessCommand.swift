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

    @Option(help: ArgumentHelp("sinusoid, teacher, linear-rep or classification: draw a task set per seed.", valueName: "family"))
    var family: String?

    @Option(help: ArgumentHelp("Instead of --family: sweep on the tasks of this task file.", valueName: "T.json"))
    var tasks: String?

    @OptionGroup var familyOptions: TaskFamilyOptions

    @Option(name: .customLong("train-tasks"), parsing: .unconditional, help: ArgumentHelp("N training tasks per seed.", valueName: "N"))
    var trainTasks = 20

    @Option(name: .customLong("test-tasks"), parsing: .unconditional, help: ArgumentHelp("M test tasks per seed.", valueName: "M"))
    var testTasks = 10

    @Option(parsing: .unconditional, help: ArgumentHelp("n' support points per task.", valueName: "n'"))
    var support = 10

    @Option(parsing: .unconditional, help: ArgumentHelp("n query points per task.", valueName: "n"))
    var query = 10

    @Option(parsing: .unconditional, help: ArgumentHelp("The first seed.", valueName: "s"), transform: parseSeed)
    var seed: UInt64 = 0

    @Option(parsing: .unconditional, help: ArgumentHelp("Number of seeds: s, s+1, ….", valueName: "k"))
    var seeds = 1

    @OptionGroup var network: ArchitectureOptions

    @Option(help: ArgumentHelp("Depths, e.g. 1,2,4,8,16,32,64,128,256.", valueName: "list"))
    var depths: String

    @Option(name: .customLong("inner-times"), help: ArgumentHelp("λτ values, e.g. 1e-3,1e-2,0.1,1,10.", valueName: "list"))
    var innerTimes: String

    @Option(help: ArgumentHelp("continuous (rate --inner-rate, time λτ/λ) or discrete (--inner-steps τ, rate λτ/τ).",
                               valueName: "solver"))
    var inner = "continuous"

    @Option(name: .customLong("inner-rate"), parsing: .unconditional, help: ArgumentHelp("λ for continuous.", valueName: "λ"))
    var innerRate: Double = 1

    @Option(name: .customLong("inner-steps"), parsing: .unconditional, help: ArgumentHelp("τ for discrete.", valueName: "τ"))
    var innerSteps = 1

    @Option(name: .customLong("test-adaptation"),
            help: ArgumentHelp("Test-time adaptation of both predictors: tied (the training inner loop at each λτ, default), "
                               + "exact, ridge:<μ>, continuous:<λ>,<τ> or discrete:<λ>,<τ>.", valueName: "solver"))
    var testAdaptation = "tied"

    @OptionGroup var outerLoop: OuterLoopOptions

    @Option(name: .customLong("head-correlations"), help: ArgumentHelp("MTL head correlations ρ.", valueName: "list"))
    var headCorrelations = "1"

    @Option(name: .customLong("mtl-data"), help: ArgumentHelp("query or merged.", valueName: "data"))
    var mtlData = "query"

    @Option(name: .customLong("new-head"), help: ArgumentHelp("init or mean.", valueName: "start"))
    var newHead = "init"

    @Option(help: ArgumentHelp("GBML methods compared with MTL.", valueName: "list"))
    var methods = "anil,maml"

    @Option(help: ArgumentHelp("Output folder.", valueName: "DIR"))
    var out: String

    @Flag(name: .customLong("no-figures"), help: "Skip the gnuplot figures.")
    var noFigures = false

    @OptionGroup var sharding: ShardOptions

    func validate() throws {
        try FlagBounds.require(trainTasks, atLeast: 1, "--train-tasks")
        try FlagBounds.require(testTasks, atLeast: 1, "--test-tasks")
        try FlagBounds.require(support, atLeast: 1, "--support")
        try FlagBounds.require(query, atLeast: 1, "--query")
        try FlagBounds.require(seeds, atLeast: 1, "--seeds")
        try FlagBounds.require(innerSteps, atLeast: 1, "--inner-steps")
    }

    func run() throws {
        let shard = try sharding.parsed()
        guard (family == nil) != (tasks == nil) else {
            throw ValidationError("give exactly one of --family F (a task set drawn per seed) and --tasks T.json (one task set)")
        }
        let fixedTasks = try tasks.map { try TaskSet(taskFile: $0) }
        if let fixedTasks, let tasks {
            guard !fixedTasks.test.isEmpty else { throw CommandFailure("--tasks \(tasks) has no test tasks to measure on") }
            guard seeds == 1 else {
                throw ValidationError("--seeds: --tasks gives one task set, and the infinite-width predictors on it are "
                                      + "deterministic; give --seeds only with --family")
            }
        }
        let settings = try sweepSettings(trainTaskCount: fixedTasks?.train.count ?? trainTasks)
        let taskFamily = try family.map { try familyOptions.family(named: $0) }
        if network.conv != nil {
            let dimension = try fixedTasks?.inputDimension
                ?? taskFamily!.tasks(trainTasks: 1, testTasks: 1, support: 1, query: 1, seed: seed).inputDimension
            try network.checkInputDimension(dimension, of: tasks.map { "--tasks \($0)" } ?? "--family \(family!)")
        }
        try RunGuards.refuseCollisions(inputs: (familyOptions.data.map { [("--data", $0)] } ?? []) + (tasks.map { [("--tasks", $0)] } ?? []),
                                       outputs: RunGuards.folderOutputs("--out", out, files: ["closeness.csv", "summary.csv",
                                                                                              "rates.csv", "local_slopes.csv"]))
        let rowsPerSeed = settings.depths.count * settings.innerTimes.count * settings.headCorrelations.count * settings.methods.count
        let taskSize = try taskFamily.map {
            try familyOptions.taskSetEstimate($0, trainTasks: trainTasks, testTasks: testTasks, support: support, query: query, seed: seed)
        } ?? (estimate: ResourceEstimate(memoryBytes: 0, diskBytes: 0, drivenBy: []), points: RunGuards.stackedPoints(fixedTasks!))
        try RunGuards.refuseOversize(taskSize.estimate
                                        + .kernelPredictors(points: taskSize.points, depths: Double(settings.depths.count),
                                                            deepest: Double(settings.depths.max()!))
                                        + .table(rows: Double(seeds) * Double(rowsPerSeed), columns: Double(ClosenessReport.columns.count)),
                                     outputFolder: out, flags: tasks == nil ? RunGuards.taskFlags : RunGuards.taskFileFlags)
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
        let progress = ProgressReporter(label: "closeness", total: ownDepths.reduce(0) { $0 + $1.count })
        var failures: [Int: String] = [:]   // depth → the first failure met there
        for (k, s) in seedValues.enumerated() {
            var settings = settings
            settings.depths = ownDepths[k].map { settings.depths[$0] }
            if settings.depths.isEmpty { continue }
            if table.values(of: "seed").filter({ $0 == "\(s)" }).count == settings.depths.count * rowsPerDepth {
                progress.advance(by: settings.depths.count, note: "seed \(s) (already in \(tablePath))")
                continue
            }
            let taskSet = try fixedTasks
                ?? familyOptions.draw(taskFamily!, trainTasks: trainTasks, testTasks: testTasks, support: support, query: query, seed: s)
            guard !taskSet.test.isEmpty else { throw ValidationError("--test-tasks must be at least 1") }
            let records = try ClosenessSweep.run(tasks: taskSet, seed: s, settings: settings) { depth in
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
        "\(family ?? tasks!), \(network.activation), σ_w = \(String(format: "%.3g", network.weightStd)), σ_b = \(String(format: "%.3g", network.biasStd))"
    }

    private func writeSummary(table: CSVTable, settings: ClosenessSweepSettings, seeds wanted: Set<UInt64>, comments: [String]) throws {
        let records = table.rows.compactMap(ClosenessReport.record)
        let summary = ClosenessSummary(records.filter { wanted.contains($0.seed) })
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
        case "continuous":
            guard innerRate > 0, innerRate.isFinite else { throw ValidationError("--inner-rate must be > 0, got \(innerRate)") }
            innerLoop = .continuous(rate: innerRate)
        case "discrete":
            guard innerSteps >= 1 else { throw ValidationError("--inner-steps must be at least 1, got \(innerSteps)") }
            innerLoop = .discrete(steps: innerSteps)
        default:
            throw ValidationError("--inner must be continuous or discrete for a sweep over λτ, got '\(inner)'")
        }
        let rhos = try headCorrelations.split(separator: ",").map { text -> Double in
            guard let rho = Double(text.trimmingCharacters(in: .whitespaces)), rho >= -1 / Double(max(trainTaskCount - 1, 1)), rho <= 1 else {
                throw ValidationError("--head-correlations: '\(text)' is not in [\(-1 / Double(max(trainTaskCount - 1, 1))), 1]")
            }
            return rho
        }
        guard let data = MTLSettings.TrainingData(rawValue: mtlData) else {
            throw ValidationError("--mtl-data must be query or merged, got '\(mtlData)'")
        }
        guard let head = MTLSettings.NewHead(rawValue: newHead) else {
            throw ValidationError("--new-head must be init or mean, got '\(newHead)'")
        }
        let gbml = try methods.split(separator: ",").map { text -> GBMLMethod in
            guard let method = GBMLMethod(rawValue: String(text)) else {
                throw ValidationError("--methods: '\(text)' is not anil or maml")
            }
            return method
        }
        return ClosenessSweepSettings(architecture: architecture, quadrature: try network.quadratureRule(), depths: depthList,
                                      innerTimes: times, innerLoop: innerLoop, testSolver: try fixedTestSolver(),
                                      training: try outerLoop.training(), diagonalRegularization: outerLoop.diagonalRegularization,
                                      headCorrelations: rhos, mtlData: data, newHead: head, methods: gbml)
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
        let f = familyOptions
        return ((try tasks.map { ["tasks-content=\(try ContentHash.of(file: $0))"] } ?? []) + ["family=\(family ?? "-")", "dim=\(f.dim.map(String.init) ?? "-")", "outputs=\(f.outputs)", "features=\(f.features)",
                "rank=\(f.rank)", "noise=\(f.noise)", "x-scale=\(f.xScale)", "data=\(f.data.map { (try? ContentHash.of(file: $0)) ?? $0 } ?? "-")", "ways=\(f.ways)",
                "test-class-fraction=\(f.testClassFraction)", "train-tasks=\(trainTasks)", "test-tasks=\(testTasks)",
                "support=\(support)", "query=\(query)", "activation=\(settings.architecture.activation)", "w-std=\(network.weightStd)",
                "b-std=\(network.biasStd)", "out-w-std=\(network.readoutWeightStd.map { "\($0)" } ?? "-")",
                "out-b-std=\(network.readoutBiasStd.map { "\($0)" } ?? "-")", "parameterization=\(network.parameterization)",
                "width=\(network.width.map(String.init) ?? "-")", "quadrature=\(network.quadrature)", "depths=\(settings.depths.map(String.init).joined(separator: ","))",
                "inner-times=\(innerTimes)", "inner=\(inner)", "inner-rate=\(innerRate)", "inner-steps=\(innerSteps)",
                "test-adaptation=\(testAdaptation)", "meta-time=\(outerLoop.metaTime.map { "\($0)" } ?? "inf")",
                "meta-rate=\(outerLoop.metaRate.map { "\($0)" } ?? "-")", "meta-steps=\(outerLoop.metaSteps.map(String.init) ?? "-")",
                "diag-reg=\(outerLoop.diagonalRegularization)", "head-correlations=\(headCorrelations)", "mtl-data=\(mtlData)",
                "new-head=\(newHead)", "methods=\(methods)"]
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
