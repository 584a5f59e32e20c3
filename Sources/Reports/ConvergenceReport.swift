import FiniteWidth
import Foundation
import Paradigms
import Studies

/// The files of a convergence study: a long tidy table (one row per width × seed × method ×
/// quantity), a summary of medians with the fitted slopes, and the figures.
public enum ConvergenceReport {
    public static let columns = ["width", "seed", "method", "quantity", "value"]

    /// The rows of one width and seed.
    public static func rows(_ m: WidthMeasurement) -> [[String]] {
        func row(_ method: String, _ quantity: String, _ value: Double?) -> [String] {
            ["\(m.width)", "\(m.seed)", method, quantity, csvCell(value)]
        }
        var rows = [row("init", "ntk_error", m.ntkError), row("init", "nngp_error", m.nngpError)]
        for run in m.runs {
            let name = run.method.rawValue
            if let error = run.predictionError { rows.append(row(name, "prediction_error", error)) }
            rows.append(row(name, "final_outer_loss", run.finalOuterLoss))
            rows.append(row(name, "test_loss", run.testLoss))
            rows.append(row(name, "training_seconds", run.trainingSeconds))
            rows.append(row(name, "seconds_per_step", run.trainingSeconds / Double(max(run.steps, 1))))
            rows.append(row(name, "steps", Double(run.steps)))
        }
        if let pair = m.mtlToANIL { rows.append(row("mtl-vs-anil", "finite_distance", pair)) }
        return rows
    }

    /// The measurements in a table written by `rows`: those whose kernel errors and every method in
    /// `methods` are present (an interrupted width is left out, to be measured again).
    public static func measurements(_ table: CSVTable, methods: [FiniteMethod]) -> [WidthMeasurement] {
        let groups = Dictionary(grouping: table.rows) { "\($0[0])|\($0[1])" }
        return groups.values.compactMap { rows -> WidthMeasurement? in
            func value(_ method: String, _ quantity: String) -> Double? {
                rows.first { $0[2] == method && $0[3] == quantity }.flatMap { Double($0[4]) }
            }
            guard let width = Int(rows[0][0]), let seed = UInt64(rows[0][1]),
                  let ntk = value("init", "ntk_error"), let nngp = value("init", "nngp_error") else { return nil }
            var runs: [TrainedRun] = []
            for method in methods {
                let name = method.rawValue
                guard let loss = value(name, "final_outer_loss"), let seconds = value(name, "training_seconds"),
                      let steps = value(name, "steps") else { return nil }
                runs.append(TrainedRun(method: method, predictionError: value(name, "prediction_error"), finalOuterLoss: loss,
                                       testLoss: value(name, "test_loss"), trainingSeconds: seconds, steps: Int(steps)))
            }
            return WidthMeasurement(width: width, seed: seed, ntkError: ntk, nngpError: nngp, runs: runs,
                                    mtlToANIL: value("mtl-vs-anil", "finite_distance"))
        }.sorted { ($0.width, $0.seed) < ($1.width, $1.seed) }
    }

    /// Medians over seeds per width, each curve with its fitted slope.
    public static func summaryTable(_ s: ConvergenceSummary, comments: [String]) -> CSVTable {
        var table = CSVTable(columns: ["curve", "width", "median", "slope"], comments: comments)
        for curve in allCurves(s) {
            for (w, m) in zip(curve.widths, curve.medians) {
                table.append([curve.name, "\(w)", csvCell(m), csvCell(curve.fit?.slope)])
            }
        }
        if let analytic = s.analyticMTLToANIL { table.append(["mtl-vs-anil-analytic", "", csvCell(analytic), ""]) }
        return table
    }

    private static func allCurves(_ s: ConvergenceSummary) -> [ConvergenceSummary.Curve] {
        s.kernelErrors.map { named($0, "\($0.name)_at_init") } + s.predictionErrors.map { named($0, "\($0.name)_vs_kernel") }
            + (s.mtlToANIL.map { [named($0, "mtl-vs-anil-finite")] } ?? [])
    }

    private static func named(_ c: ConvergenceSummary.Curve, _ name: String) -> ConvergenceSummary.Curve {
        ConvergenceSummary.Curve(name: name, widths: c.widths, medians: c.medians, fit: c.fit, lows: c.lows, highs: c.highs)
    }

    private static func series(_ c: ConvergenceSummary.Curve, _ label: String) -> LinePlot.Series {
        // A slope is printed only for a monotone curve: a fit through a curve that turns says nothing.
        let monotone = zip(c.medians, c.medians.dropFirst()).allSatisfy { $0 <= $1 }
            || zip(c.medians, c.medians.dropFirst()).allSatisfy { $0 >= $1 }
        let slope = c.fit.flatMap { monotone ? String(format: " (slope %.2f)", $0.slope) : nil } ?? ""
        let band = c.lows.isEmpty ? [] : c.widths.indices.map { (x: Double(c.widths[$0]), low: c.lows[$0], high: c.highs[$0]) }
        return LinePlot.Series(label: label + slope, points: zip(c.widths, c.medians).map { (Double($0.0), $0.1) }, band: band)
    }

    /// A guide line c·h^{−1/2} through the first point of `curve`.
    private static func inverseSquareRoot(through curve: ConvergenceSummary.Curve) -> LinePlot.Series? {
        guard let w = curve.widths.first, let m = curve.medians.first, let last = curve.widths.last else { return nil }
        let c = m * Double(w).squareRoot()
        return LinePlot.Series(label: "∝ h^{-1/2}", points: [(Double(w), m), (Double(last), c / Double(last).squareRoot())],
                               style: .reference)
    }

    public static func renderFigures(_ s: ConvergenceSummary, in directory: String, setting: String) throws {
        var predictions = s.predictionErrors.map { series($0, $0.name.uppercased()) }
        if let first = s.predictionErrors.first, let guide = inverseSquareRoot(through: first) { predictions.append(guide) }
        try LinePlot(title: "trained networks against their kernel predictors: \(setting)", xLabel: "width h",
                     yLabel: "relative distance (median over seeds; band: range)", series: predictions)
            .render(to: directory + "/prediction_error_vs_width")
        var kernels = [series(s.kernelErrors[0], "NTK Θ̂ vs Θ"), series(s.kernelErrors[1], "NNGP K̂ vs K")]
        if let guide = inverseSquareRoot(through: s.kernelErrors[0]) { kernels.append(guide) }
        try LinePlot(title: "empirical kernels at initialisation: \(setting)", xLabel: "width h",
                     yLabel: "relative Frobenius error (median; band: range over seeds)", series: kernels)
            .render(to: directory + "/kernel_error_vs_width")
        if let pair = s.mtlToANIL, let analytic = s.analyticMTLToANIL, let first = pair.widths.first, let last = pair.widths.last {
            let lines = [series(pair, "finite width"),
                         LinePlot.Series(label: "infinite width", points: [(Double(first), analytic), (Double(last), analytic)],
                                         style: .reference)]
            try LinePlot(title: "MTL–ANIL distance: \(setting)", xLabel: "width h",
                         yLabel: "‖F_{MTL} − F_{ANIL}‖ / ‖F_{ANIL}‖", series: lines)
                .render(to: directory + "/mtl_anil_distance_vs_width")
        }
    }

    /// The short table printed at the end of a study.
    public static func text(_ s: ConvergenceSummary, title: String) -> String {
        var text = "\(title)\n  curve                   " + (s.kernelErrors.first?.widths.map { String(format: "%9d", $0) }.joined() ?? "")
            + "    slope\n"
        for curve in allCurves(s) {
            text += "  " + curve.name.padding(toLength: 24, withPad: " ", startingAt: 0)
                + curve.medians.map { String(format: "%9.3g", $0) }.joined()
                + (curve.fit.map { String(format: "   %+.2f", $0.slope) } ?? "") + "\n"
        }
        if let analytic = s.analyticMTLToANIL { text += String(format: "  mtl-vs-anil at infinite width: %.3g\n", analytic) }
        return text
    }
}
