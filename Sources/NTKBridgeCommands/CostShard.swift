import FewShot
import FiniteWidth
import Foundation
import InfiniteWidth
import Reports

extension CostCommand {
    /// One shard of a cost comparison: the methods whose place in --methods is ≡ i (mod N),
    /// each trained as by the unsharded command and written (curves.csv, cost.csv) as soon as it
    /// finishes, so that a resumed shard skips the methods already trained. `ntkbridge merge`
    /// joins the shards and computes the comparison (the target loss, the ratios to MTL). Times
    /// measured on different machines compare only if the machines are alike.
    func runShard(_ shard: SweepShard, methodList: [FiniteMethod], settings: FiniteSettings, taskSet: TaskSet,
                  architecture: Architecture, width: Int, configuration: String, setting: String) throws {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let all = methods.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        var facts = ["setting": setting, "methods": all.joined(separator: ","), "first-seed": "\(seed)", "seed-count": "1"]
        if let targetTestLoss { facts["target-test-loss"] = "\(targetTestLoss)" }
        try claimShardFolder(ShardManifest(command: "cost", shard: shard, points: all.count, sweep: "methods=\(all.joined(separator: ","))",
                                           configuration: configuration, facts: facts),
                             folder: out, table: "curves.csv")
        let comments = Provenance.comments(commandLine: CommandLine.arguments, seeds: "\(seed)", configuration: configuration)
        var runs: [CostReport.Run] = []
        if FileManager.default.fileExists(atPath: out + "/curves.csv"), FileManager.default.fileExists(atPath: out + "/cost.csv") {
            runs = CostReport.runs(curves: try CSVTable.read(out + "/curves.csv"), costs: try CSVTable.read(out + "/cost.csv"))
                .filter { methodList.contains($0.method) }
        }
        for method in methodList {
            if runs.contains(where: { $0.method == method }) {
                FileHandle.standardError.write(Data("cost \(method.rawValue): already in \(out)/curves.csv\n".utf8))
                continue
            }
            var chosen = settings
            if let fraction = metaRateFraction {
                let bound = try settings.stableOuterRate(method, tasks: taskSet, architecture: architecture, width: width, seed: seed)
                chosen = settings.withOuterRate(fraction * bound)
            }
            guard case let .gradientDescent(rate, _) = chosen.training else { continue }
            var learner = try chosen.learner(method, tasks: taskSet, architecture: architecture, width: width, seed: seed)
            let steps = Double(learner.scheduledSteps)
            let progress = ProgressReporter(label: "cost \(method.rawValue)", total: learner.scheduledSteps + 1)
            let log = try learner.train(testLossEvery: testLossEvery, maxSeconds: timeBudget ?? .infinity) { entry in
                let fraction = max(Double(entry.step) / steps, entry.seconds / (timeBudget ?? .infinity))
                progress.report(fraction: fraction, note: String(format: "step %d, %.2f s", entry.step, entry.seconds))
            }
            runs.append(CostReport.Run(method: method, outerRate: rate, log: log))
            runs.sort { a, b in methodList.firstIndex(of: a.method)! < methodList.firstIndex(of: b.method)! }
            try CostReport.curvesTable(runs, comments: comments).write(to: out + "/curves.csv")
            try CostReport.costTable(runs, target: nil, comments: comments).write(to: out + "/cost.csv")
        }
        print("cost: shard \(shard) complete → \(out); join the shards with `ntkbridge merge DIR… --out DIR`")
    }
}
