import CBLAS
import CNumerics
import Foundation

/// Which shared library serves the BLAS symbols at run time.
///
/// GSL ships a slow reference CBLAS that also defines `cblas_dgemm`; if it were linked first,
/// every product would silently run 50× slower. This lets a test and `ntkbridge --version`
/// say which library is in use.
public enum BLASBackend {
    /// The path of the library that the dynamic linker binds `symbol` to, or nil.
    public static func libraryServing(_ symbol: String = "cblas_dgemm") -> String? {
        guard let path = ntkb_library_serving(symbol) else { return nil }
        return String(cString: path)
    }

    /// The number of threads OpenBLAS uses.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// Sets the number of OpenBLAS threads (for benchmarks that compare single-threaded code).
    /// Inside a `withThreadCount` section it takes effect when the last section ends.
    public static func setThreadCount(_ n: Int) { ThreadCountSections.shared.setDefault(n) }

    /// Runs `body` with OpenBLAS single- or few-threaded, then restores the thread count: for
    /// work that calls BLAS from its own parallel workers.
    ///
    /// OpenBLAS's thread count is one process-wide setting. Sections may overlap (two sweeps on
    /// two threads): while any is open, the count is the smallest any open section asked for,
    /// and the count from before the first one is restored when the last one closes — never a
    /// value that another caller set for its own section.
    public static func withThreadCount<R>(_ n: Int, _ body: () throws -> R) rethrows -> R {
        let sections = ThreadCountSections.shared
        let token = sections.open(n)
        defer { sections.close(token) }
        return try body()
    }

    /// The spin window of OpenBLAS's idle worker threads, log₂ of TSC cycles, as this process set
    /// it; nil if it did not (another BLAS, or the user's own `OPENBLAS_THREAD_TIMEOUT`).
    ///
    /// After each threaded call an OpenBLAS worker busy-waits (`sched_yield`) for this window
    /// before it sleeps. OpenBLAS's default, 2²⁸ cycles (≈ 0.1 s), takes one of the cores that
    /// `ParallelLoop` needs right after every Gram matrix or patch product, and costs every process
    /// ≈ 0.1 s of CPU even without a BLAS call. At load time (a constructor in CNumerics) the
    /// window is set to 2²⁰ cycles (≈ 0.4 ms): back-to-back BLAS calls still find the workers
    /// awake, and an idle worker sleeps within half a millisecond.
    public static var workerSpinExponent: Int? {
        let exponent = Int(ntkb_blas_worker_spin())
        return exponent > 0 ? exponent : nil
    }

    /// Sets the spin window of OpenBLAS's idle workers to 2^`exponent` cycles (4…30; OpenBLAS's
    /// own default is 28) by stopping the workers; the next threaded call starts them again with
    /// it. For benchmarks that compare windows. Call it while no BLAS call runs on any thread and
    /// no other thread reads the environment. Returns false (and does nothing) with a BLAS other
    /// than a pthreads OpenBLAS.
    @discardableResult
    public static func setWorkerSpin(exponent: Int) -> Bool {
        ntkb_blas_set_worker_spin(Int32(clamping: exponent)) == 1
    }

    /// Whether OpenBLAS's worker threads exist now (false after `setWorkerSpin` until the next
    /// threaded call starts them); nil with a BLAS other than a pthreads OpenBLAS.
    public static var workersRunning: Bool? {
        switch ntkb_blas_workers_running() {
        case 1: return true
        case 0: return false
        default: return nil
        }
    }
}

/// The open `withThreadCount` sections and the thread count to return to, under one lock.
private final class ThreadCountSections: @unchecked Sendable {
    static let shared = ThreadCountSections()
    private let lock = NSLock()
    private var requests: [Int: Int] = [:]
    private var nextToken = 0
    private var outside: Int?

    func open(_ n: Int) -> Int {
        lock.withLock {
            if requests.isEmpty { outside = Int(openblas_get_num_threads()) }
            nextToken += 1
            requests[nextToken] = max(1, n)
            apply()
            return nextToken
        }
    }

    func close(_ token: Int) {
        lock.withLock {
            requests[token] = nil
            apply()
        }
    }

    func setDefault(_ n: Int) {
        lock.withLock {
            outside = max(1, n)
            apply()
        }
    }

    /// The smallest open request, or the count from outside every section.
    private func apply() {
        if let smallest = requests.values.min() {
            openblas_set_num_threads(Int32(smallest))
        } else if let outside {
            openblas_set_num_threads(Int32(outside))
        }
    }
}
