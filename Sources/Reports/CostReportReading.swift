import FiniteWidth
import Studies

extension CostReport {
    /// The table a cost shard keeps beside curves.csv: what `runs(curves:facts:)` needs, beyond
    /// the curves, to rebuild each run exactly (written with round-trip precision).
    public static let shardRunsFile = "shard_runs.csv"
    public static let runFactsColumns = ["method", "seed", "outer_rate", "steps", "seconds", "cpu_seconds",
                                         "point_passes_per_step", "flops_per_step"]

    /// One row per run: the facts of `runFactsColumns`.
    public static func runFactsTable(_ runs: [CostStudy.Run], comments: [String]) -> CSVTable {
        var table = CSVTable(columns: runFactsColumns, comments: comments)
        for run in runs {
            table.append([run.method.rawValue, "\(run.seed)", csvCell(run.outerRate), "\(run.steps)", csvCell(run.seconds),
                          csvCell(run.cpuSeconds), csvCell(run.pointPassesPerStep), csvCell(run.flopsPerStep)])
        }
        return table
    }

    /// The runs in a curves table (`curvesTable`) and a run-facts table (`runFactsTable`), in the
    /// order of the facts rows. A run whose facts or curve rows are missing or unreadable is left
    /// out (it was interrupted and is trained again).
    public static func runs(curves: CSVTable, facts: CSVTable) -> [CostStudy.Run] {
        struct Key: Hashable { let method: FiniteMethod; let seed: UInt64 }
        var evaluations: [Key: [CostStudy.Evaluation]] = [:], broken: Set<Key> = []
        for row in curves.rows where row.count == curveColumns.count {
            guard let method = FiniteMethod(rawValue: row[0]), let seed = UInt64(row[1]) else { continue }
            let key = Key(method: method, seed: seed)
            guard let step = Int(row[2]), let seconds = Double(row[3]), let cpu = Double(row[4]) else {
                broken.insert(key)
                continue
            }
            let value = { (cell: String) in Double(cell) ?? .nan }
            evaluations[key, default: []].append(CostStudy.Evaluation(
                step: step, seconds: seconds, cpuSeconds: cpu, outerLoss: value(row[5]), validationLoss: value(row[6]),
                validationLossOwn: value(row[7]), testLoss: Double(row[8]), testLossOwn: Double(row[9]),
                validationAccuracy: value(row[10]), validationAccuracyOwn: value(row[11]), testAccuracy: Double(row[12]),
                testAccuracyOwn: Double(row[13])))
        }
        return facts.rows.compactMap { row in
            guard row.count == runFactsColumns.count, let method = FiniteMethod(rawValue: row[0]), let seed = UInt64(row[1]),
                  let rate = Double(row[2]), let steps = Int(row[3]), let seconds = Double(row[4]), let cpu = Double(row[5])
            else { return nil }
            let key = Key(method: method, seed: seed)
            guard !broken.contains(key), let log = evaluations[key] else { return nil }
            return CostStudy.Run(method: method, seed: seed, outerRate: rate, evaluations: log, steps: steps, seconds: seconds,
                                 cpuSeconds: cpu, pointPassesPerStep: Double(row[6]) ?? .nan, flopsPerStep: Double(row[7]) ?? .nan)
        }
    }
}
