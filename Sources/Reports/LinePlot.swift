import Foundation

/// A line plot rendered by gnuplot to PNG and SVG (both written atomically), with the gnuplot
/// script — data included — written beside them as `base.gp`, so that a figure can be re-drawn
/// or restyled without recomputing it (`ntkbridge plot DIR`).
///
/// Style: one colour per curve from a 16-colour palette (and a point shape per curve, so that
/// curves stay apart in grey too); seed spread as a translucent band; reference slopes as
/// dashed lines without markers; log axes labelled 10^k; axis ranges fitted to the data;
/// points whose value is undefined marked on the bottom axis (never silently dropped);
/// combining hats (Θ̂) drawn as an overprinted ^ that every terminal renders.
public struct LinePlot: Sendable {
    public struct Series: Sendable {
        /// How a curve is drawn.
        public enum Style: Sendable {
            /// Measured values: lines and points.
            case data
            /// A reference (a slope ∝ 1/L, λτ or h^{−1/2}, an asymptote): a dashed line, no markers.
            case reference
        }

        public var label: String
        public var points: [(x: Double, y: Double)]
        /// The spread of y at each x (for example the range over seeds), drawn as a band.
        public var band: [(x: Double, low: Double, high: Double)]
        public var style: Style
        /// Abscissas at which the value is undefined (a singular system, a diverged run): marked
        /// on the bottom axis in the curve's colour.
        public var undefined: [Double]

        public init(label: String, points: [(x: Double, y: Double)], band: [(x: Double, low: Double, high: Double)] = [],
                    style: Style = .data, undefined: [Double] = []) {
            self.label = label
            self.points = points
            self.band = band
            self.style = style
            self.undefined = undefined
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var logX = true
    public var logY = true
    public var series: [Series]

    public init(title: String, xLabel: String, yLabel: String, logX: Bool = true, logY: Bool = true, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.logX = logX
        self.logY = logY
        self.series = series
    }

    /// 16 colours that stay distinct from one another (Tableau 10, then six darker tones).
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                          "#bcbd22", "#17becf", "#000000", "#08306b", "#7f2704", "#00441b", "#67000d", "#3f007d"]

    /// The gnuplot script drawing the plot into `output` with `terminal`; data inline. Its first
    /// two lines set the terminal and the output (`rerender` replaces them).
    func script(terminal: String, output: String) -> String {
        var lines = ["set terminal \(terminal)", "set output \(Self.quoted(output))"]
        lines += body()
        return lines.joined(separator: "\n") + "\n"
    }

    private func body() -> [String] {
        func quoted(_ s: String) -> String { Self.quoted(Self.enhanced(s)) }
        var lines = ["set encoding utf8", "set title \(quoted(title))", "set xlabel \(quoted(xLabel))",
                     "set ylabel \(quoted(yLabel))", "set key below", "set grid",
                     "set autoscale xfix", "set autoscale yfix", "set offsets 0, 0, graph 0.04, graph 0.04"]
        func drawable(_ x: Double, _ y: Double) -> Bool { x.isFinite && y.isFinite && (!logX || x > 0) && (!logY || y > 0) }
        let xs = series.flatMap { s in s.points.filter { drawable($0.x, $0.y) }.map(\.x) }
        let ys = series.flatMap { s in
            s.points.filter { drawable($0.x, $0.y) }.map(\.y) + s.band.filter { drawable($0.x, $0.low) }.flatMap { [$0.low, $0.high] }
        }
        lines += Self.axis("x", log: logX, values: xs) + Self.axis("y", log: logY, values: ys.filter { !logY || $0 > 0 })
        var plots: [String] = []
        var anyUndefined = false
        for (k, s) in series.enumerated() {
            let colour = "lc rgb \"\(Self.palette[k % Self.palette.count])\""
            let band = s.band.filter { drawable($0.x, $0.low) && drawable($0.x, $0.high) }
            if !band.isEmpty {
                lines.append("$band\(k) << EOD")
                lines += band.map { "\($0.x.description) \($0.low.description) \($0.high.description)" }
                lines.append("EOD")
                plots.append("$band\(k) using 1:2:3 with filledcurves fs transparent solid 0.18 noborder \(colour) notitle")
            }
            let points = s.points.filter { drawable($0.x, $0.y) }
            // A value that cannot be drawn (NaN, ∞, ≤ 0 on a log axis) is undefined, not dropped.
            let undefined = s.undefined + s.points.filter { !drawable($0.x, $0.y) && $0.x.isFinite && (!logX || $0.x > 0) }.map(\.x)
            lines.append("$data\(k) << EOD")
            lines += points.map { "\($0.x.description) \($0.y.description)" }
            lines.append("EOD")
            let how = s.style == .data ? "with linespoints pt \(k % 13 + 1) ps 0.8 lw 1.5" : "with lines dt 2 lw 1.5"
            let title = points.isEmpty ? "notitle" : "title \(quoted(s.label))"
            plots.append("$data\(k) using 1:2 \(how) \(colour) \(title)")
            for x in undefined where x.isFinite {
                anyUndefined = true
                lines.append("set label \"\" at first \(x.description), graph 0.015 point pt 2 ps 1.2 \(colour) front")
            }
        }
        if anyUndefined { plots.append("NaN with points pt 2 ps 1.2 lc rgb \"black\" title \"undefined (marked on the axis)\"") }
        lines.append(plots.isEmpty ? "plot 1/0 notitle" : "plot " + plots.joined(separator: ", \\\n     "))
        return lines
    }

    /// The scale, tics and format of one axis: on a log axis spanning a decade or more, tics at
    /// powers of ten labelled 10^k; on a shorter one, tics at 1, 2 and 5 (or every digit) times
    /// a power of ten, labelled plainly.
    static func axis(_ name: String, log: Bool, values: [Double]) -> [String] {
        guard log else { return ["unset logscale \(name)", "set format \(name) \"%g\""] }
        var lines = ["set logscale \(name)"]
        guard let low = values.min(), let high = values.max(), low > 0, high / low < 10 else {
            return lines + ["set format \(name) \"10^{%L}\"", "set m\(name)tics 10"]
        }
        let lowest = Int(Foundation.log10(low).rounded(.down)), highest = Int(Foundation.log10(high).rounded(.up))
        for mantissas in [[1.0, 2, 5], [1.0, 2, 3, 4, 5, 6, 7, 8, 9]] {
            var tics: [Double] = []
            for k in lowest...highest {
                let scale = Foundation.pow(10.0, Double(k))
                for m in mantissas where m * scale >= low * (1 - 1e-9) && m * scale <= high * (1 + 1e-9) {
                    tics.append(m * scale)
                }
            }
            if tics.count >= 3 || mantissas.count == 9 {
                let labelled = tics.map { (t: Double) -> String in "\"" + String(format: "%g", t) + "\" " + t.description }
                lines.append("set \(name)tics (" + labelled.joined(separator: ", ") + ")")
                break
            }
        }
        return lines
    }

    static func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\\\"") + "\"" }

    /// Text for gnuplot's enhanced mode: a letter carrying a combining circumflex (Θ̂, K̂) becomes
    /// the letter overprinted with a raised ^, which renders on every terminal and font.
    static func enhanced(_ s: String) -> String {
        var result = ""
        for character in s {
            let scalars = character.unicodeScalars
            if scalars.count == 2, scalars.last == "\u{0302}" {
                result += "~\(String(scalars.first!)){.7\\\\^}"
            } else {
                result.append(character)
            }
        }
        return result
    }

    static let terminals = [("pngcairo size 900,600 enhanced font 'sans,10'", "png"), ("svg size 900,600 enhanced", "svg")]

    /// Whether some measured point is defined (finite, and positive on a log axis is gnuplot's
    /// business): a figure of undefined points only is not drawn.
    public var hasDefinedData: Bool {
        series.contains { $0.style == .data && $0.points.contains { $0.x.isFinite && $0.y.isFinite } }
    }

    /// Renders `base.png` and `base.svg`, and writes `base.gp` (the PNG script, data inline).
    /// Throws `OutputError` if gnuplot is missing or fails, or if every measured point is
    /// undefined (nothing would be drawn; gnuplot would fail with its own words).
    public func render(to base: String) throws {
        guard hasDefinedData else {
            throw OutputError.cannotWrite(path: base + ".png", reason: "every point of \"\(title)\" is undefined: nothing to draw")
        }
        let name = (base as NSString).lastPathComponent
        try AtomicOutput.write(Data(script(terminal: Self.terminals[0].0, output: name + ".png").utf8), to: base + ".gp")
        try Self.rerender(scriptAt: base + ".gp")
    }

    /// Re-draws `base.png` and `base.svg` from a script `base.gp` written by `render`.
    public static func rerender(scriptAt path: String) throws {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw OutputError.cannotWrite(path: path, reason: "cannot read the figure script: \(error.localizedDescription)")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count > 2, lines[0].hasPrefix("set terminal"), lines[1].hasPrefix("set output") else {
            throw OutputError.cannotWrite(path: path, reason: "not a figure script written by ntkbridge (no terminal and output lines)")
        }
        let base = String(path.dropLast(3))
        for (terminal, ext) in terminals {
            let target = "\(base).\(ext)"
            let temporary = "\(target).tmp-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: temporary) }
            lines[0] = "set terminal \(terminal)"
            lines[1] = "set output \(quoted(temporary))"
            try runGnuplot(lines.joined(separator: "\n"), for: target)
            guard rename(temporary, target) == 0 else {
                throw OutputError.cannotWrite(path: target, reason: String(cString: strerror(errno)))
            }
        }
    }

    private static func runGnuplot(_ script: String, for path: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gnuplot"]
        let input = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw OutputError.cannotWrite(path: path, reason: "gnuplot could not be started (make deps installs gnuplot-nox)")
        }
        input.fileHandleForWriting.write(Data(script.utf8))
        try? input.fileHandleForWriting.close()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let reason = process.terminationStatus == 127 ? "gnuplot is not installed (make deps installs gnuplot-nox)"
                : "gnuplot failed: \(message.trimmingCharacters(in: .whitespacesAndNewlines).prefix(300))"
            throw OutputError.cannotWrite(path: path, reason: reason)
        }
    }
}
