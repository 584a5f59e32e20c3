import Foundation

/// Progress of long work on stderr: a bar with an estimated time left on a terminal, plain
/// lines otherwise (a log file, CI).
public final class ProgressReporter {
    private let label: String
    private let total: Int
    private var done = 0
    private let start = Date()
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private var lastLine = Date.distantPast

    public init(label: String, total: Int) {
        self.label = label
        self.total = max(total, 1)
    }

    /// Counts `steps` more units of work done, with a note on what was just finished.
    public func advance(by steps: Int = 1, note: String = "") {
        done = min(total, done + steps)
        show(fraction: Double(done) / Double(total), counts: "\(done)/\(total)", note: note)
    }

    /// Reports progress as a fraction of the work (for work bounded by time rather than by a count).
    public func report(fraction: Double, note: String = "") {
        show(fraction: min(1, max(0, fraction)), counts: String(format: "%.0f%%", 100 * min(1, fraction)), note: note)
    }

    private func show(fraction: Double, counts: String, note: String) {
        let elapsed = Date().timeIntervalSince(start)
        let remaining = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0
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
