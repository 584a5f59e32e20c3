import ArgumentParser
import FiniteWidth
import Foundation
import Paradigms
import Reports
import Studies

/// `ntkbridge merge`: joins the folders of a sharded sweep (`--shard i/N`) into what the
/// unsharded run writes: the same data rows in the same order, and the summaries and figures
/// recomputed from them.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the shard folders of a closeness, convergence or cost sweep run with --shard i/N.",
        discussion: """
            Each DIR must hold one shard (its shard.txt names the sweep and the shard); all shards 0…N−1 \
            of one configuration must be given, each complete. Shards of different configurations are refused \
            naming the setting that differs; missing shards are named. The merged tables hold the data rows of \
            the unsharded run, byte for byte and in its order (the provenance comments name the merge); \
            summaries and figures are recomputed from them. The output folder appears complete or not at all.
            """)

    @Argument(help: ArgumentHelp("The shard folders.", valueName: "DIR"))
    var folders: [String] = []

    @Option(help: ArgumentHelp("Output folder (not one of the shard folders).", valueName: "DIR"))
    var out: String

    @Flag(name: .customLong("no-figures"), help: "Skip the gnuplot figures.")
    var noFigures = false

    func run() throws {
        guard !folders.isEmpty else { throw ValidationError("give the shard folders to merge, e.g. merge run/shard-* --out run/merged") }
        let target = URL(fileURLWithPath: out).standardizedFileURL.path
        if let clash = folders.first(where: { URL(fileURLWithPath: $0).standardizedFileURL.path == target }) {
            throw ValidationError("--out \(out) is the shard folder \(clash); merge into a new folder")
        }
        let shards: [ShardMerge.Shard]
        do { shards = try ShardMerge.shards(folders) } catch let error as ShardError { throw CommandFailure("merge: \(error)") }
        let manifest = shards[0].manifest
        let comments = Provenance.comments(commandLine: CommandLine.arguments, seeds: seedRange(manifest),
                                           configuration: manifest.configuration)
            + ["merged from: " + shards.map { "\($0.manifest.shard)=\($0.folder)" }.joined(separator: " ")]
        do {
            switch manifest.command {
            case "closeness": try mergeCloseness(shards, comments: comments)
            case "convergence": try mergeConvergence(shards, comments: comments)
            case "cost": try mergeCost(shards, comments: comments)
            default: throw CommandFailure("merge: \(shards[0].folder) holds a shard of '\(manifest.command)', which merge does not know")
            }
        } catch let error as ShardError { throw CommandFailure("merge: \(error)") }
    }

    private func seedRange(_ m: ShardManifest) -> String {
        guard let first = m.facts["first-seed"].flatMap(UInt64.init), let count = m.facts["seed-count"].flatMap(UInt64.init),
              count >= 1 else { return m.facts["first-seed"] ?? "-" }
        return "\(first)…\(first &+ (count - 1))"
    }

    private func fact(_ key: String, _ shard: ShardMerge.Shard) throws -> String {
        guard let value = shard.manifest.facts[key] else {
            throw ShardError.notAShard(folder: shard.folder, reason: "its \(ShardManifest.fileName) has no 'fact \(key):' line")
        }
        return value
    }

    private func mergeCloseness(_ shards: [ShardMerge.Shard], comments: [String]) throws {
        let first = shards[0]
        let depthList = try fact("depths", first).split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard let firstSeed = UInt64(try fact("first-seed", first)), let seedCount = Int(try fact("seed-count", first)),
              let rowsPerPoint = Int(try fact("rows-per-point", first)), depthList.allSatisfy({ $0 != nil }) else {
            throw ShardError.notAShard(folder: first.folder, reason: "its \(ShardManifest.fileName) has unreadable facts")
        }
        let depthIndex = Dictionary(depthList.enumerated().map { ($0.element!, $0.offset) }) { a, _ in a }
        let rows = try ShardMerge.rows(of: shards, table: "closeness.csv", columns: ClosenessReport.columns, point: { row in
            // Seeds run s, s+1, … with wrap-around past 2⁶⁴ − 1 (as the sweep draws them).
            guard let seed = UInt64(row[0]), seed &- firstSeed < UInt64(seedCount),
                  let depth = Int(row[1]), let d = depthIndex[depth] else { return nil }
            return Int(seed &- firstSeed) * depthList.count + d
        }, complete: { _, rows in rows.count == rowsPerPoint })
        let table = CSVTable(columns: ClosenessReport.columns, comments: comments, rows: rows)
        let summary = ClosenessSummary(rows.compactMap(ClosenessReport.record))
        let setting = try fact("setting", first)
        try AtomicOutput.writeDirectory(at: out) { staging in
            try table.write(to: staging + "/closeness.csv")
            try ClosenessReport.summaryTable(summary, comments: comments).write(to: staging + "/summary.csv")
            try ClosenessReport.ratesTable(summary, comments: comments).write(to: staging + "/rates.csv")
            try ClosenessReport.localSlopesTable(summary, comments: comments).write(to: staging + "/local_slopes.csv")
            if !noFigures { renderFigures { try ClosenessReport.renderFigures(summary, in: staging, setting: setting) } }
        }
        print(ClosenessReport.ratesText(summary, title: "closeness: \(setting), \(seedCount) seed(s), \(shards.count) shards merged → \(out)"),
              terminator: "")
    }

    private func mergeConvergence(_ shards: [ShardMerge.Shard], comments: [String]) throws {
        let first = shards[0]
        let methodList = try parseFiniteMethods(try fact("methods", first), flag: "methods")
        let widthList = first.manifest.sweep.split(separator: " ").first { $0.hasPrefix("widths=") }
            .map { $0.dropFirst(7).split(separator: ",").compactMap { Int($0) } } ?? []
        guard let firstSeed = UInt64(try fact("first-seed", first)), let seedCount = Int(try fact("seed-count", first)),
              !widthList.isEmpty else {
            throw ShardError.notAShard(folder: first.folder, reason: "its \(ShardManifest.fileName) has unreadable facts")
        }
        let columns = ConvergenceReport.columns
        let rows = try ShardMerge.rows(of: shards, table: "convergence.csv", columns: columns, point: { row in
            guard let width = Int(row[0]), let w = widthList.firstIndex(of: width), let seed = UInt64(row[1]),
                  seed &- firstSeed < UInt64(seedCount) else { return nil }
            return w * seedCount + Int(seed &- firstSeed)
        }, complete: { _, rows in
            ConvergenceReport.measurements(CSVTable(columns: columns, rows: rows), methods: methodList).count == 1
        })
        let table = CSVTable(columns: columns, comments: comments, rows: rows)
        let analytic = Double(try fact("analytic-mtl-vs-anil", first))
        let summary = ConvergenceSummary(ConvergenceReport.measurements(table, methods: methodList), analyticMTLToANIL: analytic)
        let setting = try fact("setting", first)
        try AtomicOutput.writeDirectory(at: out) { staging in
            try table.write(to: staging + "/convergence.csv")
            try ConvergenceReport.summaryTable(summary, comments: comments).write(to: staging + "/summary.csv")
            if !noFigures { renderFigures { try ConvergenceReport.renderFigures(summary, in: staging, setting: setting) } }
        }
        print(ConvergenceReport.text(summary, title: "convergence: \(setting), \(seedCount) seed(s), \(shards.count) shards merged → \(out)"),
              terminator: "")
    }

    /// Cost: the points are the runs (seed index r, method index m) at r·M + m; the curves are
    /// joined in that order and the summary (target, runs.csv, cost.csv) computed from the runs.
    private func mergeCost(_ shards: [ShardMerge.Shard], comments: [String]) throws {
        let first = shards[0]
        let methodList = try parseFiniteMethods(try fact("methods", first), flag: "methods")
        guard let firstSeed = UInt64(try fact("first-seed", first)), let seedCount = Int(try fact("seed-count", first)) else {
            throw ShardError.notAShard(folder: first.folder, reason: "its \(ShardManifest.fileName) has unreadable facts")
        }
        let point = { (row: [String]) -> Int? in
            guard row.count >= 2, let m = FiniteMethod(rawValue: row[0]).flatMap({ methodList.firstIndex(of: $0) }),
                  let seed = UInt64(row[1]), seed &- firstSeed < UInt64(seedCount) else { return nil }
            return CostCommand.point(seedIndex: Int(seed &- firstSeed), methodIndex: m, methods: methodList.count)
        }
        let curveRows = try ShardMerge.rows(of: shards, table: "curves.csv", columns: CostReport.curveColumns, point: point,
                                            complete: { _, rows in !rows.isEmpty })
        let factRows = try ShardMerge.rows(of: shards, table: CostReport.shardRunsFile, columns: CostReport.runFactsColumns,
                                           point: point, complete: { _, rows in rows.count == 1 })
        let curves = CSVTable(columns: CostReport.curveColumns, comments: comments, rows: curveRows)
        let runs = CostReport.runs(curves: curves, facts: CSVTable(columns: CostReport.runFactsColumns, rows: factRows))
        guard runs.count == methodList.count * seedCount else {
            throw CommandFailure("merge: the shards hold \(runs.count) readable cost runs, expected \(methodList.count * seedCount)")
        }
        let summary = CostSummary(runs, target: first.manifest.facts["target-validation-loss"].flatMap(Double.init))
        for warning in summary.warnings { FileHandle.standardError.write(Data("merge: warning: \(warning)\n".utf8)) }
        let cpuClock = first.manifest.facts["budget-clock"] == "cpu"
        let setting = try fact("setting", first)
        try AtomicOutput.writeDirectory(at: out) { staging in
            try curves.write(to: staging + "/curves.csv")
            try CostReport.runsTable(summary, comments: comments).write(to: staging + "/runs.csv")
            try CostReport.costTable(summary, comments: comments).write(to: staging + "/cost.csv")
            if !noFigures {
                renderFigures { try CostReport.renderFigure(summary, in: staging, setting: setting, cpuClock: cpuClock) }
            }
        }
        print(CostReport.text(summary, title: "cost: \(setting), \(shards.count) shards merged → \(out)", cpuClock: cpuClock),
              terminator: "")
    }

    private func renderFigures(_ render: () throws -> Void) {
        do { try render() } catch {
            FileHandle.standardError.write(Data("merge: figures skipped: \(error)\n".utf8))
        }
    }
}
