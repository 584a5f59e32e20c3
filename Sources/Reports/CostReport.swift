import FiniteWidth
import Foundation

/// The cost comparison of finite-width training (the paper's practical claim): wall time per
/// outer step and to reach a given test loss, MTL against ANIL, MAML and FOMAML.
public enum CostReport {
    /// One method's training run.
    public struct Run: Sendable {
        public let method: FiniteMethod
        /// η, the outer rate the method was trained with.
        public let outerRate: Double
        public let log: TrainingLog

        public init(method: FiniteMethod, outerRate: Double, log: TrainingLog) {
            self.method = method
            self.outerRate = outerRate
            self.log = log
        }

        public var steps: Int { log.entries.last?.step ?? 0 }
        public var seconds: Double { log.entries.last?.seconds ?? 0 }
        public var secondsPerStep: Double { seconds / Double(max(steps, 1)) }
        public var bestTestLoss: Double? { log.entries.compactMap(\.testLoss).min() }
    }

    /// The default target test loss: the worst method's best test loss, so every method reaches it.
    public static func defaultTarget(_ runs: [Run]) -> Double? {
        let best = runs.compactMap(\.bestTestLoss)
        return best.count == runs.count ? best.max() : nil
    }

    public static func curvesTable(_ runs: [Run], comments: [String]) -> CSVTable {
        var table = CSVTable(columns: ["method", "step", "seconds", "outer_loss", "test_loss"], comments: comments)
        for run in runs {
            for e in run.log.entries {
                table.append([run.method.rawValue, "\(e.step)", csvCell(e.seconds), csvCell(e.outerLoss), csvCell(e.testLoss)])
            }
        }
        return table
    }

    public static func costTable(_ runs: [Run], target: Double?, comments: [String]) -> CSVTable {
        var table = CSVTable(columns: ["method", "outer_rate", "steps", "seconds_per_step", "seconds_per_step_over_mtl", "total_seconds",
                                       "final_test_loss", "best_test_loss", "target_test_loss", "steps_to_target",
                                       "seconds_to_target"], comments: comments)
        let mtl = runs.first { $0.method == .mtl }?.secondsPerStep
        for run in runs {
            let reached = target.flatMap { run.log.firstReaching(testLoss: $0) }
            table.append([run.method.rawValue, csvCell(run.outerRate), "\(run.steps)", csvCell(run.secondsPerStep),
                          csvCell(mtl.map { run.secondsPerStep / $0 }), csvCell(run.seconds),
                          csvCell(run.log.entries.last?.testLoss), csvCell(run.bestTestLoss), csvCell(target),
                          reached.map { "\($0.step)" } ?? "", csvCell(reached?.seconds)])
        }
        return table
    }

    public static func renderFigure(_ runs: [Run], in directory: String, setting: String) throws {
        let series = runs.map { run in
            LinePlot.Series(label: run.method.rawValue.uppercased() + String(format: " (%.3g ms/step)", run.secondsPerStep * 1e3),
                            points: run.log.entries.compactMap { e in e.testLoss.map { (max(e.seconds, 1e-4), $0) } })
        }
        try LinePlot(title: "test loss against training time: \(setting)", xLabel: "wall-clock seconds of training",
                     yLabel: "test loss Σ ½‖F − Y‖²", logX: true, logY: true, series: series)
            .render(to: directory + "/test_loss_vs_seconds")
    }

    public static func text(_ runs: [Run], target: Double?, title: String) -> String {
        let mtl = runs.first { $0.method == .mtl }?.secondsPerStep
        var text = "\(title)\n  method  η         ms/step  ×MTL   final test loss   to reach test loss \(target.map { String(format: "%.4g", $0) } ?? "—")\n"
        for run in runs {
            let reached = target.flatMap { run.log.firstReaching(testLoss: $0) }
            text += "  " + run.method.rawValue.uppercased().padding(toLength: 7, withPad: " ", startingAt: 0)
                + String(format: " %-9.3g %7.2f  %5.1f   %-16@", run.outerRate, run.secondsPerStep * 1e3, mtl.map { run.secondsPerStep / $0 } ?? .nan,
                         (run.log.entries.last?.testLoss.map { String(format: "%.4g", $0) } ?? "—") as NSString)
                + (reached.map { String(format: "  %d steps, %.3g s", $0.step, $0.seconds) } ?? "  not reached") + "\n"
        }
        return text
    }
}
