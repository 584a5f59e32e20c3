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
        let elapsed = Date().timeIntervalSince(start)
        let remaining = done > 0 ? elapsed * Double(total - done) / Double(done) : 0
        if isTerminal {
            let width = 30
            let filled = width * done / total
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            write("\r\(label) [\(bar)] \(done)/\(total) eta \(Self.duration(remaining)) \(note)\u{1B}[K")
            if done == total { write("\n") }
        } else if done == total || Date().timeIntervalSince(lastLine) >= 2 {
            lastLine = Date()
            write("\(label): \(done)/\(total) done, \(Self.duration(elapsed)) elapsed, about \(Self.duration(remaining)) left \(note)\n")
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
        seconds < 90 ? String(format: "%.0fs", seconds) : String(format: "%.0fm%02.0fs", (seconds / 60).rounded(.down),
                                                                  seconds.truncatingRemainder(dividingBy: 60))
    }
}
