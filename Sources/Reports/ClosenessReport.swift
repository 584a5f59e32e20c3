import Foundation
import Paradigms
import Studies

/// The files of a closeness sweep: the tidy table (one row per seed × depth × λτ × ρ × method),
/// the summary over seeds, the fitted rates, and the figures.
public enum ClosenessReport {
    public static let columns = ["seed", "depth", "inner_time", "head_correlation", "gbml_method",
                                 "relative_mean", "relative_std", "relative_median", "rms_mean", "rms_std", "rms_median",
                                 "undefined_tasks", "head_share", "ntk_condition", "support_scale", "failure"]

    public static func row(_ r: ClosenessRecord) -> [String] {
        ["\(r.seed)", "\(r.depth)", csvCell(r.innerTime), csvCell(r.headCorrelation), r.method.rawValue,
         csvCell(r.relative.mean), csvCell(r.relative.standardDeviation), csvCell(r.relative.median),
         csvCell(r.rms.mean), csvCell(r.rms.standardDeviation), csvCell(r.rms.median),
         "\(r.relative.undefinedCount)", csvCell(r.headShare), csvCell(r.ntkCondition),
         csvCell(r.supportScale), failureCell(r.failure)]
    }

    /// A record read back from a row of the tidy table (for resuming), or nil if the row is not one.
    public static func record(_ row: [String]) -> ClosenessRecord? {
        guard row.count == columns.count, let seed = UInt64(row[0]), let depth = Int(row[1]),
              let innerTime = Double(row[2]), let rho = Double(row[3]), let method = GBMLMethod(rawValue: row[4]),
              let undefined = Int(row[11]) else { return nil }
        func number(_ k: Int) -> Double { Double(row[k]) ?? .nan }
        let tasks = 0   // per-task counts are not kept in the table
        return ClosenessRecord(seed: seed, depth: depth, innerTime: innerTime, headCorrelation: rho, method: method,
                               relative: DistanceSummary(mean: number(5), standardDeviation: number(6), median: number(7),
                                                         count: tasks, undefinedCount: undefined),
                               rms: DistanceSummary(mean: number(8), standardDeviation: number(9), median: number(10),
                                                    count: tasks, undefinedCount: 0),
                               headShare: number(12), ntkCondition: number(13), supportScale: number(14),
                               failure: row[15].isEmpty ? nil : row[15])
    }

    /// A failure as a CSV cell: its first clause, without commas.
    static func failureCell(_ failure: String?) -> String {
        guard let failure else { return "" }
        let clause = failure.split(separator: ":").first.map(String.init) ?? failure
        return clause.replacingOccurrences(of: ",", with: ";").replacingOccurrences(of: "\n", with: " ")
    }

    public static func summaryTable(_ summary: ClosenessSummary, comments: [String]) -> CSVTable {
        var table = CSVTable(columns: ["depth", "inner_time", "head_correlation", "gbml_method", "seeds",
                                       "relative_mean", "relative_spread", "rms_mean", "rms_spread", "head_share",
                                       "ntk_condition", "support_scale", "depth_slope", "inner_time_slope"],
                             comments: comments)
        for c in summary.cells {
            // The global slopes of the two fits through this cell: against depth at its λτ, against
            // λτ at its depth.
            let fits = summary.fits.filter { $0.headCorrelation == c.headCorrelation && $0.method == c.method }
            let depthSlope = fits.first { $0.against == .depth && $0.fixedValue == c.innerTime }?.fit.slope
            let timeSlope = fits.first { $0.against == .innerTime && Int($0.fixedValue) == c.depth }?.fit.slope
            table.append(["\(c.depth)", csvCell(c.innerTime), csvCell(c.headCorrelation), c.method.rawValue, "\(c.seeds)",
                          csvCell(c.relativeMean), csvCell(c.relativeSpread), csvCell(c.rmsMean), csvCell(c.rmsSpread),
                          csvCell(c.headShare), csvCell(c.ntkCondition), csvCell(c.supportScale),
                          csvCell(depthSlope), csvCell(timeSlope)])
        }
        return table
    }

    public static func ratesTable(_ summary: ClosenessSummary, comments: [String]) -> CSVTable {
        var table = CSVTable(columns: ["head_correlation", "gbml_method", "against", "at_depth", "at_inner_time", "points",
                                       "slope", "intercept", "min_local_slope", "max_local_slope", "last_local_slope"],
                             comments: comments)
        for f in summary.fits {
            let (atDepth, atInnerTime) = f.against == .depth ? ("", csvCell(f.fixedValue)) : ("\(Int(f.fixedValue))", "")
            table.append([csvCell(f.headCorrelation), f.method.rawValue, f.against.rawValue, atDepth, atInnerTime,
                          "\(f.fit.pointCount)", csvCell(f.fit.slope), csvCell(f.fit.intercept),
                          csvCell(f.fit.localSlopes.min()), csvCell(f.fit.localSlopes.max()), csvCell(f.fit.localSlopes.last)])
        }
        return table
    }

    public static func localSlopesTable(_ summary: ClosenessSummary, comments: [String]) -> CSVTable {
        var table = CSVTable(columns: ["head_correlation", "gbml_method", "against", "at_depth", "at_inner_time",
                                       "from", "to", "local_slope"], comments: comments)
        for f in summary.fits {
            let (atDepth, atInnerTime) = f.against == .depth ? ("", csvCell(f.fixedValue)) : ("\(Int(f.fixedValue))", "")
            for (k, slope) in f.fit.localSlopes.enumerated() where k + 1 < f.x.count {
                table.append([csvCell(f.headCorrelation), f.method.rawValue, f.against.rawValue, atDepth, atInnerTime,
                              csvCell(f.x[k]), csvCell(f.x[k + 1]), csvCell(slope)])
            }
        }
        return table
    }

    /// The base name of a figure: `distance_vs_depth_anil_rho1`.
    public static func figureName(against: ClosenessSummary.Fit.Variable, method: GBMLMethod, headCorrelation: Double) -> String {
        "distance_vs_\(against.rawValue)_\(method.rawValue)_rho\(csvCell(headCorrelation))"
    }

    /// Distance against depth (one line per λτ) and against λτ (one line per depth), log-log:
    /// the mean over seeds with a band of ± one standard deviation, a cell without a measured
    /// distance marked on the axis, the fitted slope in the label only where the curve is
    /// monotone, and a dashed reference slope (∝ 1/L, ∝ λτ). For MAML, whose support kernel Θ
    /// grows with depth, a third figure puts the curves against the dimensionless λτ·s_max
    /// (s_max: the mean largest eigenvalue of the support kernels). PNG, SVG and the gnuplot
    /// script in `directory`.
    public static func renderFigures(_ summary: ClosenessSummary, in directory: String, setting: String) throws {
        let series = Set(summary.cells.map { "\($0.headCorrelation)|\($0.method.rawValue)" })
        for key in series.sorted() {
            let parts = key.split(separator: "|")
            let rho = Double(parts[0])!, method = GBMLMethod(rawValue: String(parts[1]))!
            let cells = summary.cells.filter { $0.headCorrelation == rho && $0.method == method }
            let fits = summary.fits.filter { $0.headCorrelation == rho && $0.method == method }
            let title = "MTL (ρ = \(csvCell(rho))) vs \(method.rawValue.uppercased()): \(setting)"
            let yLabel = "‖F_{MTL} − F_{GBML}‖ / ‖F_{GBML}‖ (mean over seeds ± s.d.)"
            for against in [ClosenessSummary.Fit.Variable.depth, .innerTime] {
                var lines = fits.filter { $0.against == against }.map { fit -> LinePlot.Series in
                    let line = cells.filter { against == .depth ? $0.innerTime == fit.fixedValue : Double($0.depth) == fit.fixedValue }
                        .sorted { against == .depth ? $0.depth < $1.depth : $0.innerTime < $1.innerTime }
                    let label = against == .depth ? "λτ = \(csvCell(fit.fixedValue))" : "L = \(Int(fit.fixedValue))"
                    return curve(line, x: { against == .depth ? Double($0.depth) : $0.innerTime }, label: label, fit: fit.fit)
                }
                if let guide = referenceSlope(lines, exponent: against == .depth ? -1 : 1,
                                              label: against == .depth ? "∝ 1/L" : "∝ λτ") {
                    lines.append(guide)
                }
                let plot = LinePlot(title: title, xLabel: against == .depth ? "depth L" : "inner-loop length λτ",
                                    yLabel: yLabel, series: lines)
                try plot.render(to: directory + "/" + figureName(against: against, method: method, headCorrelation: rho))
            }
            guard method == .maml else { continue }
            var scaled = Array(Set(cells.map(\.depth))).sorted().map { depth -> LinePlot.Series in
                let line = cells.filter { $0.depth == depth }.sorted { $0.innerTime < $1.innerTime }
                return curve(line, x: { $0.innerTime * $0.supportScale }, label: "L = \(depth)", fit: nil)
            }
            if let guide = referenceSlope(scaled, exponent: 1, label: "∝ λτ·s_max") { scaled.append(guide) }
            try LinePlot(title: title, xLabel: "dimensionless inner-loop length λτ·s_max", yLabel: yLabel, series: scaled)
                .render(to: directory + "/distance_vs_scaled_inner_time_maml_rho\(csvCell(rho))")
        }
    }

    /// One curve of cells: the mean with a ± s.d. band; the fitted slope in the label only if the
    /// curve's defined points are monotone (a slope through a curve that turns says nothing).
    private static func curve(_ cells: [ClosenessSummary.Cell], x: (ClosenessSummary.Cell) -> Double, label: String,
                              fit: RateFit?) -> LinePlot.Series {
        let points = cells.map { (x: x($0), y: $0.relativeMean) }
        let band = cells.filter { $0.relativeMean.isFinite && $0.relativeSpread.isFinite && $0.seeds > 1 }
            .map { (x: x($0), low: max($0.relativeMean - $0.relativeSpread, $0.relativeMean * 1e-3),
                    high: $0.relativeMean + $0.relativeSpread) }
        let defined = points.map(\.y).filter(\.isFinite)
        let monotone = zip(defined, defined.dropFirst()).allSatisfy { $0 <= $1 }
            || zip(defined, defined.dropFirst()).allSatisfy { $0 >= $1 }
        let slope = fit.flatMap { monotone && $0.slope.isFinite ? String(format: " (slope %.2f)", $0.slope) : nil } ?? ""
        return LinePlot.Series(label: label + slope, points: points, band: band)
    }

    /// A dashed line ∝ x^exponent through the first defined point of the first curve, over the
    /// curves' x range.
    static func referenceSlope(_ curves: [LinePlot.Series], exponent: Double, label: String) -> LinePlot.Series? {
        let xs = curves.flatMap { $0.points.filter { $0.x > 0 && $0.y.isFinite && $0.y > 0 }.map(\.x) }
        guard let anchor = curves.lazy.compactMap({ $0.points.first { $0.x > 0 && $0.y.isFinite && $0.y > 0 } }).first,
              let low = xs.min(), let high = xs.max(), high > low else { return nil }
        let c = anchor.y / Foundation.pow(anchor.x, exponent)
        return LinePlot.Series(label: label, points: [(low, c * Foundation.pow(low, exponent)), (high, c * Foundation.pow(high, exponent))],
                               style: .reference)
    }

    /// The short table of fitted rates printed at the end of a sweep: per method and ρ, the depth
    /// rate at the shortest inner loop (global slope and the local slopes at both ends), the
    /// steepest local λτ rate at the deepest depth, K/Θ there, and cond Θ(𝒳, 𝒳) from the
    /// shallowest to the deepest depth.
    public static func ratesText(_ summary: ClosenessSummary, title: String) -> String {
        var text = "\(title)\n"
        // The deepest depth with a measured distance (a singular system leaves none).
        let measured = summary.cells.filter { $0.relativeMean.isFinite }
        guard let shortest = measured.map(\.innerTime).min(), let deepest = measured.map(\.depth).max(),
              let shallowest = measured.map(\.depth).min() else { return text }
        text += "  MTL vs ρ     depth slope at λτ = \(csvCell(shortest)): global [local, first … last]   "
            + "λτ slope at L = \(deepest): steepest local   K/Θ at L = \(deepest)   cond Θ(𝒳,𝒳), L = \(shallowest) → \(deepest)\n"
        var seen: [(Double, GBMLMethod)] = []
        for cell in summary.cells where !seen.contains(where: { $0 == (cell.headCorrelation, cell.method) }) {
            seen.append((cell.headCorrelation, cell.method))
        }
        for (rho, method) in seen {
            let fits = summary.fits.filter { $0.headCorrelation == rho && $0.method == method }
            let depthFit = fits.first { $0.against == .depth && $0.fixedValue == shortest }
            let timeFit = fits.first { $0.against == .innerTime && Int($0.fixedValue) == deepest }
            let cells = summary.cells.filter { $0.headCorrelation == rho && $0.method == method && $0.innerTime == shortest }
            let deep = cells.first { $0.depth == deepest }, shallow = cells.first { $0.depth == shallowest }
            let columns = [method.rawValue.uppercased().padding(6), csvCell(rho).padding(5), depthSlopeText(depthFit).padding(44),
                           steepestLocalSlopeText(timeFit).padding(30), String(format: "%.3g", deep?.headShare ?? .nan).padding(14),
                           String(format: "%.1e → %.1e", shallow?.ntkCondition ?? .nan, deep?.ntkCondition ?? .nan)]
            text += "  " + columns.joined(separator: " ") + "\n"
        }
        return text
    }

    private static func depthSlopeText(_ fit: ClosenessSummary.Fit?) -> String {
        guard let fit, let first = fit.fit.localSlopes.first, let last = fit.fit.localSlopes.last else { return "—" }
        return String(format: "%+.2f [%+.2f … %+.2f]", fit.fit.slope, first, last)
    }

    private static func steepestLocalSlopeText(_ fit: ClosenessSummary.Fit?) -> String {
        guard let fit, let k = fit.fit.localSlopes.indices.max(by: { fit.fit.localSlopes[$0] < fit.fit.localSlopes[$1] }),
              k + 1 < fit.x.count else { return "—" }
        return String(format: "%+.2f", fit.fit.localSlopes[k]) + " (λτ \(csvCell(fit.x[k])) → \(csvCell(fit.x[k + 1])))"
    }
}

private extension String {
    /// The string padded with spaces to `width` characters.
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
