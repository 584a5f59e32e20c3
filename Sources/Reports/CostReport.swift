import FiniteWidth
import Foundation
import Studies

/// The cost comparison's tables, text and figure (see `CostStudy` for the protocol).
public enum CostReport {
    /// The columns of curves.csv.
    public static let curveColumns = ["method", "seed", "step", "seconds", "cpu_seconds", "outer_loss", "validation_loss",
                                      "validation_loss_own", "test_loss", "test_loss_own", "validation_accuracy",
                                      "validation_accuracy_own", "test_accuracy", "test_accuracy_own"]

    /// Every evaluation of every run: method, seed, step, wall and CPU seconds of training, the
    /// outer loss, validation and test losses after head-only and the method's own adaptation,
    /// then the same four as classification accuracies (argmax against the label's argmax).
    public static func curvesTable(_ runs: [CostStudy.Run], comments: [String]) -> CSVTable {
        var table = CSVTable(columns: curveColumns, comments: comments)
        for run in runs {
            for e in run.evaluations {
                table.append([run.method.rawValue, "\(run.seed)", "\(e.step)", csvCell(e.seconds), csvCell(e.cpuSeconds),
                              csvCell(e.outerLoss), csvCell(e.validationLoss), csvCell(e.validationLossOwn),
                              csvCell(e.testLoss), csvCell(e.testLossOwn), csvCell(e.validationAccuracy),
                              csvCell(e.validationAccuracyOwn), csvCell(e.testAccuracy), csvCell(e.testAccuracyOwn)])
            }
        }
        return table
    }

    /// One row per run: its rate, steps, time per step and its status against the target.
    public static func runsTable(_ summary: CostSummary, comments: [String]) -> CSVTable {
        var table = CSVTable(columns: ["method", "seed", "outer_rate", "steps", "seconds_per_step", "cpu_seconds_per_step",
                                       "initial_validation_loss", "best_validation_loss", "target_validation_loss",
                                       "status", "steps_to_target", "seconds_to_target", "cpu_seconds_to_target"],
                             comments: comments)
        for m in summary.methods {
            for (run, status) in zip(m.runs, m.statuses) {
                let hit = status == .never ? nil : run.firstReaching(summary.target)
                table.append([m.method.rawValue, "\(run.seed)", csvCell(run.outerRate), "\(run.steps)",
                              csvCell(run.secondsPerStep), csvCell(run.cpuSecondsPerStep), csvCell(run.initialValidationLoss),
                              csvCell(run.bestValidationLoss), csvCell(summary.target), status.rawValue,
                              hit.map { "\($0.step)" } ?? "", csvCell(hit?.seconds), csvCell(hit?.cpuSeconds)])
            }
        }
        return table
    }

    /// One row per method: medians and ranges over repeats, the work per step, and ratios to MTL.
    public static func costTable(_ summary: CostSummary, comments: [String]) -> CSVTable {
        let spreadColumns = ["seconds_per_step", "cpu_seconds_per_step", "steps_to_target", "seconds_to_target",
                             "cpu_seconds_to_target", "final_validation_loss", "final_validation_loss_own",
                             "final_test_loss", "final_test_loss_own"]
        var columns = ["method", "repeats", "outer_rate_median", "steps_median", "point_passes_per_step", "gflop_per_step",
                       "passes_over_mtl", "seconds_per_step_over_mtl", "cpu_seconds_per_step_over_mtl",
                       "target_validation_loss", "reached", "at_start", "never"]
        for c in spreadColumns { columns += [c + "_median", c + "_min", c + "_max"] }
        var table = CSVTable(columns: columns, comments: comments)
        let mtl = summary.methods.first { $0.method == .mtl }
        for m in summary.methods {
            var row = [m.method.rawValue, "\(m.runs.count)", csvCell(m.outerRate.median), csvCell(m.steps.median),
                       csvCell(m.pointPassesPerStep), csvCell(m.flopsPerStep * 1e-9),
                       csvCell(mtl.map { m.pointPassesPerStep / $0.pointPassesPerStep }),
                       csvCell(mtl.map { m.secondsPerStep.median / $0.secondsPerStep.median }),
                       csvCell(mtl.map { m.cpuSecondsPerStep.median / $0.cpuSecondsPerStep.median }),
                       csvCell(summary.target), "\(m.count(.reached))", "\(m.count(.atStart))", "\(m.count(.never))"]
            for s in [m.secondsPerStep, m.cpuSecondsPerStep, m.stepsToTarget, m.secondsToTarget, m.cpuSecondsToTarget,
                      m.finalValidationLoss, m.finalValidationLossOwn, m.finalTestLoss, m.finalTestLossOwn] {
                row += [csvCell(s.median), csvCell(s.min), csvCell(s.max)]
            }
            table.append(row)
        }
        return table
    }

    /// Validation loss (head-only adaptation) against training seconds: per method the median
    /// over repeats at each evaluated step (at the median time of that step), the range over
    /// repeats as a band, and the target as a dashed line. Linear time axis: step 0 is at 0 s.
    public static func renderFigure(_ summary: CostSummary, in directory: String, setting: String,
                                    cpuClock: Bool = false) throws {
        var series: [LinePlot.Series] = []
        var maxSeconds = 0.0
        for m in summary.methods {
            var steps = Set(m.runs[0].evaluations.map(\.step))
            for run in m.runs.dropFirst() { steps.formIntersection(run.evaluations.map(\.step)) }
            var points: [(x: Double, y: Double)] = [], band: [(x: Double, low: Double, high: Double)] = []
            for step in steps.sorted() {
                let at: [CostStudy.Evaluation] = m.runs.compactMap { run in run.evaluations.first { $0.step == step } }
                let x = CostSummary.Spread(at.map { cpuClock ? $0.cpuSeconds : $0.seconds }).median, y = CostSummary.Spread(at.map(\.validationLoss))
                points.append((x, y.median))
                band.append((x, y.min, y.max))
                maxSeconds = max(maxSeconds, x)
            }
            // The end of the runs (each stops at its own step): the median of their last evaluations.
            let finals = m.runs.compactMap(\.evaluations.last).filter { !steps.contains($0.step) }
            if finals.count == m.runs.count {
                let x = CostSummary.Spread(finals.map { cpuClock ? $0.cpuSeconds : $0.seconds }).median
                let y = CostSummary.Spread(finals.map(\.validationLoss))
                points.append((x, y.median))
                band.append((x, y.min, y.max))
                maxSeconds = max(maxSeconds, x)
            }
            let label = m.method.rawValue.uppercased()
                + String(format: " (%.3g ms, %.3g point passes per step)",
                         (cpuClock ? m.cpuSecondsPerStep : m.secondsPerStep).median * 1e3, m.pointPassesPerStep)
            series.append(LinePlot.Series(label: label, points: points, band: m.runs.count > 1 ? band : []))
        }
        if summary.target.isFinite {
            series.append(LinePlot.Series(label: String(format: "target %.4g", summary.target),
                                          points: [(0, summary.target), (maxSeconds, summary.target)], style: .reference))
        }
        let repeats = summary.methods.map(\.runs.count).max() ?? 0
        try LinePlot(title: "validation loss against training time: \(setting)",
                     xLabel: (cpuClock ? "CPU" : "wall-clock") + " seconds of training (median over \(repeats) repeats; band: range)",
                     yLabel: "validation loss Σ ½‖F − Y‖² (head-only adaptation)", logX: false, logY: true, series: series)
            .render(to: directory + "/validation_loss_vs_seconds")
    }

    /// The summary printed at the end: per method medians [min … max] over repeats.
    public static func text(_ summary: CostSummary, title: String, cpuClock: Bool = false) -> String {
        let mtl = summary.methods.first { $0.method == .mtl }
        var text = "\(title)\n"
        text += String(format: "  target validation loss %.4g%@\n", summary.target,
                       (summary.targetIsDefault ? " (default: the worst method's median best)" : "") as NSString)
        text += "  method  runs  ms/step [range]        CPU ms/step  ×MTL wall  ×MTL CPU  ×MTL passes   to target: steps, s (reached/at start/never)\n"
        for m in summary.methods {
            let ratio = { (a: Double, b: Double?) in b.map { String(format: "%5.2f", a / $0) } ?? "  —  " }
            text += "  " + m.method.rawValue.uppercased().padding(toLength: 7, withPad: " ", startingAt: 0)
                + String(format: " %4d  %7.2f [%.3g … %.3g]  %8.2f", m.runs.count, m.secondsPerStep.median * 1e3,
                         m.secondsPerStep.min * 1e3, m.secondsPerStep.max * 1e3, m.cpuSecondsPerStep.median * 1e3)
                + "     " + ratio(m.secondsPerStep.median, mtl?.secondsPerStep.median)
                + "     " + ratio(m.cpuSecondsPerStep.median, mtl?.cpuSecondsPerStep.median)
                + "     " + ratio(m.pointPassesPerStep, mtl?.pointPassesPerStep)
                + (m.stepsToTarget.count > 0
                    ? String(format: "      %.0f, %.3g s", m.stepsToTarget.median,
                             (cpuClock ? m.cpuSecondsToTarget : m.secondsToTarget).median) + (cpuClock ? " CPU" : "")
                    : "      —")
                + " (\(m.count(.reached))/\(m.count(.atStart))/\(m.count(.never)))\n"
        }
        return text
    }
}
