import CBLAS
import CNumerics

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
    public static func setThreadCount(_ n: Int) { openblas_set_num_threads(Int32(n)) }

    /// Runs `body` with OpenBLAS single- or few-threaded, then restores the thread count: for
    /// work that calls BLAS from its own parallel workers.
    public static func withThreadCount<R>(_ n: Int, _ body: () throws -> R) rethrows -> R {
        let previous = threadCount
        setThreadCount(n)
        defer { setThreadCount(previous) }
        return try body()
    }
}
