import Foundation

/// Progress of long work on stderr: a bar with an estimated time left on a terminal, plain
/// lines otherwise (a log file, CI). The time left weighs each unit of work by its estimated
/// cost (`ProgressEstimate`), so that a sweep whose points cost unequally (depths, widths) is
/// estimated right.
public final class ProgressReporter {
    private let label: String
    private var estimate: ProgressEstimate
    private let start = Date()
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private var lastLine = Date.distantPast

    /// `total` units of equal cost.
    public convenience init(label: String, total: Int) {
        self.init(label: label, weights: Array(repeating: 1, count: max(total, 1)))
    }

    /// One unit per weight, done in this order, each costing about its weight.
    public init(label: String, weights: [Double]) {
        self.label = label
        estimate = ProgressEstimate(weights: weights.isEmpty ? [1] : weights)
    }

    /// Counts `steps` more units of work done, with a note on what was just finished.
    public func advance(by steps: Int = 1, note: String = "") {
        estimate.finish(steps)
        showCount(note: note)
    }

    /// Counts `steps` more units as found done already (a resumed run): they do not count in the rate.
    public func skip(by steps: Int = 1, note: String = "") {
        estimate.skip(steps)
        showCount(note: note)
    }

    private func showCount(note: String) {
        let elapsed = Date().timeIntervalSince(start)
        show(fraction: estimate.fraction, remaining: estimate.remaining(elapsed: elapsed) ?? 0,
             counts: "\(estimate.done)/\(estimate.count)", note: note)
    }

    /// Reports progress as a fraction of the work (for work bounded by time rather than by a count).
    public func report(fraction: Double, note: String = "") {
        let f = min(1, max(0, fraction)), elapsed = Date().timeIntervalSince(start)
        show(fraction: f, remaining: f > 0 ? elapsed * (1 - f) / f : 0, counts: String(format: "%.0f%%", 100 * f), note: note)
    }

    private func show(fraction: Double, remaining: Double, counts: String, note: String) {
        let elapsed = Date().timeIntervalSince(start)
        if isTerminal {
            let width = 30
            let filled = Int(Double(width) * fraction)
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            write("\r\(label) [\(bar)] \(counts) eta \(Self.duration(remaining)) \(note)\u{1B}[K")
            if fraction >= 1 { write("\n") }
        } else if fraction >= 1 || Date().timeIntervalSince(lastLine) >= 2 {
            lastLine = Date()
            write("\(label): \(counts) done, \(Self.duration(elapsed)) elapsed, about \(Self.duration(remaining)) left \(note)\n")
        }
    }

    /// A message on its own line.
    public func note(_ text: String) {
        write((isTerminal ? "\r\u{1B}[K" : "") + "\(label): \(text)\n")
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())   // round once, so that 299.6 s reads 5m00s, not 4m60s
        return whole < 90 ? "\(whole)s" : String(format: "%dm%02ds", whole / 60, whole % 60)
    }
}
