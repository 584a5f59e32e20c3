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

extension Timing {
    /// The CPU time of the whole process so far (all threads, user and system), seconds.
    static func processCPU() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// The smallest wall time and the smallest process CPU time of `repeats` runs of `body`,
    /// after one untimed run (CPU time is the steadier figure on a shared machine).
    static func bestWallAndCPU(repeats: Int = 3, _ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
        try body()
        var (wall, cpu) = (Double.infinity, Double.infinity)
        for _ in 0..<repeats {
            let (start, startCPU) = (now(), processCPU())
            try body()
            (wall, cpu) = (min(wall, now() - start), min(cpu, processCPU() - startCPU))
        }
        return (wall, cpu)
    }
}

/// Formats seconds for a report line.
func milliseconds(_ seconds: Double) -> String { String(format: "%8.1f ms", seconds * 1e3) }

/// The 1-minute load average, for the header of a figure measured on a shared machine.
func loadAverage() -> String {
    var loads = [Double](repeating: 0, count: 1)
    return getloadavg(&loads, 1) == 1 ? String(format: "load average %.1f", loads[0]) : "load average unknown"
}
