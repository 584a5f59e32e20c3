import Foundation

/// A line plot rendered by gnuplot to PNG and SVG (both written atomically).
public struct LinePlot: Sendable {
    public struct Series: Sendable {
        public var label: String
        public var points: [(x: Double, y: Double)]

        public init(label: String, points: [(x: Double, y: Double)]) {
            self.label = label
            self.points = points
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

    /// The gnuplot script drawing the plot into `output` with `terminal`; data inline.
    func script(terminal: String, output: String) -> String {
        func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        var lines = ["set terminal \(terminal)", "set output \(quoted(output))", "set title \(quoted(title))",
                     "set xlabel \(quoted(xLabel))", "set ylabel \(quoted(yLabel))", "set key outside right top",
                     "set grid", "set format y \"10^{%L}\""]
        if logX { lines.append("set logscale x") }
        if logY { lines.append("set logscale y") } else { lines.append("set format y \"%g\"") }
        let drawable = series.map { s in (s.label, s.points.filter { $0.x.isFinite && $0.y.isFinite && (!logX || $0.x > 0) && (!logY || $0.y > 0) }) }
            .filter { !$0.1.isEmpty }
        for (k, (_, points)) in drawable.enumerated() {
            lines.append("$data\(k) << EOD")
            lines += points.map { "\($0.x.description) \($0.y.description)" }
            lines.append("EOD")
        }
        let plots = drawable.enumerated().map { k, s in "$data\(k) using 1:2 with linespoints title \(quoted(s.0))" }
        lines.append(plots.isEmpty ? "plot 1/0 notitle" : "plot " + plots.joined(separator: ", \\\n     "))
        return lines.joined(separator: "\n") + "\n"
    }

    /// Renders `base.png` and `base.svg`. Throws `OutputError` if gnuplot is missing or fails.
    public func render(to base: String) throws {
        for (terminal, ext) in [("pngcairo size 900,600 enhanced font 'sans,10'", "png"), ("svg size 900,600 enhanced", "svg")] {
            let path = "\(base).\(ext)"
            let temporary = "\(path).tmp-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: temporary) }
            try LinePlot.runGnuplot(script(terminal: terminal, output: temporary), for: path)
            guard rename(temporary, path) == 0 else {
                throw OutputError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
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
                : "gnuplot failed: \(message.trimmingCharacters(in: .whitespacesAndNewlines))"
            throw OutputError.cannotWrite(path: path, reason: reason)
        }
    }
}
