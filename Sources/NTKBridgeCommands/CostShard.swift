import FewShot
import FiniteWidth
import Foundation
import Reports
import Studies

extension CostCommand {
    /// The point of run (seed index r, method index m) in the unsharded run's order: r·M + m.
    static func point(seedIndex: Int, methodIndex: Int, methods: Int) -> Int { seedIndex * methods + methodIndex }

    /// One shard of a cost comparison: the runs (seed, method) whose point r·M + m (the unsharded
    /// run's order: seeds outer, methods inner) is ≡ i (mod N), each trained as by the unsharded
    /// command and written (curves.csv, and shard_runs.csv with the facts of each run) as soon as
    /// it finishes, so that a resumed shard skips the runs already trained. `ntkbridge merge` joins
    /// the shards and computes the summary (the target, runs.csv, cost.csv). Times measured on
    /// different machines compare only if the machines are alike.
    func runShard(_ shard: SweepShard, study: CostStudy, methodList: [FiniteMethod], seeds: [UInt64],
                  configuration: String, setting: String) throws {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let names = methodList.map(\.rawValue).joined(separator: ",")
        var facts = ["setting": setting, "methods": names, "first-seed": "\(seed)", "seed-count": "\(seeds.count)",
                     "budget-clock": budgetClock.rawValue]
        if let targetValidationLoss { facts["target-validation-loss"] = "\(targetValidationLoss)" }
        let runConfiguration = configuration + " repeats=\(repeats) evaluate-every=\(evaluateEvery) "
            + "time-budget=\(timeBudget.map { "\($0)" } ?? "-") budget-clock=\(budgetClock.rawValue) "
            + "meta-rate-fraction=\(metaRateFraction.map { "\($0)" } ?? "-")"
        try claimShardFolder(ShardManifest(command: "cost", shard: shard, points: seeds.count * methodList.count,
                                           sweep: "seeds=\(seed)+\(seeds.count) methods=\(names)",
                                           configuration: runConfiguration, facts: facts),
                             folder: out, table: "curves.csv")
        let comments = Provenance.comments(commandLine: CommandLine.arguments, seeds: seeds.map(String.init).joined(separator: ","),
                                           configuration: configuration)
        func pointOf(_ run: CostStudy.Run) -> Int? {
            guard let r = seeds.firstIndex(of: run.seed), let m = methodList.firstIndex(of: run.method) else { return nil }
            return Self.point(seedIndex: r, methodIndex: m, methods: methodList.count)
        }
        let curvesPath = out + "/curves.csv", factsPath = out + "/" + CostReport.shardRunsFile
        var runs: [CostStudy.Run] = []
        if FileManager.default.fileExists(atPath: curvesPath), FileManager.default.fileExists(atPath: factsPath) {
            runs = CostReport.runs(curves: try CSVTable.read(curvesPath), facts: try CSVTable.read(factsPath))
                .filter { pointOf($0).map(shard.owns) ?? false }
        }
        var steps = Double.infinity
        if case let .gradientDescent(_, scheduled) = study.settings.training { steps = Double(scheduled) }
        let budget = timeBudget ?? .infinity
        for (r, seed) in seeds.enumerated() {
            for (m, method) in methodList.enumerated() {
                let point = Self.point(seedIndex: r, methodIndex: m, methods: methodList.count)
                guard shard.owns(point) else { continue }
                if runs.contains(where: { $0.method == method && $0.seed == seed }) {
                    FileHandle.standardError.write(Data("cost \(method.rawValue) seed \(seed): already in \(curvesPath)\n".utf8))
                    continue
                }
                let progress = ProgressReporter(label: "cost \(method.rawValue) seed \(seed)", total: 1)
                let run = try study.run(method, seed: seed) { entry in
                    let spent = budgetClock == .cpu ? entry.cpuSeconds : entry.seconds
                    progress.report(fraction: min(1, max(Double(entry.step) / steps, spent / budget)),
                                    note: String(format: "step %d, %.2f s", entry.step, entry.seconds))
                }
                runs.append(run)
                runs.sort { pointOf($0)! < pointOf($1)! }
                // The curves first: a run with facts always has its curve.
                try CostReport.curvesTable(runs, comments: comments).write(to: curvesPath)
                try CostReport.runFactsTable(runs, comments: comments).write(to: factsPath)
            }
        }
        print("cost: shard \(shard) complete → \(out); join the shards with `ntkbridge merge DIR… --out DIR`")
    }
}
