import Foundation

/// Wall-clock timing for benchmarks: the best of several runs, after one warm-up.
enum Timing {
    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// The smallest wall time of `repeats` runs of `body` (seconds), after one untimed run.
    static func best(repeats: Int = 3, _ body: () throws -> Void) rethrows -> Double {
        try body()
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = now()
            try body()
            best = min(best, now() - start)
        }
        return best
    }
}

/// Formats seconds for a report line.
func milliseconds(_ seconds: Double) -> String { String(format: "%8.1f ms", seconds * 1e3) }
