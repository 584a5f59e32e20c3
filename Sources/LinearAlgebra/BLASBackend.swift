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
