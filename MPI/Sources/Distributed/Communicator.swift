import CMPI
import Foundation

/// The processes of an MPI job (MPI_COMM_WORLD): this process's rank among `size`.
public enum Communicator {
    /// Starts MPI (once per process).
    public static func start() { _ = ntk_mpi_init() }
    public static func finish() { _ = ntk_mpi_finalize() }

    public static var rank: Int { Int(ntk_mpi_rank()) }
    public static var size: Int { Int(ntk_mpi_size()) }
    public static var isRoot: Bool { rank == 0 }

    public static func barrier() { ntk_mpi_barrier() }

    /// Ends every process of the job with `code` (mpirun reports the failure).
    public static func abort(_ code: Int32) -> Never {
        ntk_mpi_abort(code)
        fatalError("MPI_Abort returned")
    }

    /// Sums `values` elementwise over all processes, in place on every process.
    public static func sum(_ values: inout [Double]) {
        let count = values.count
        values.withUnsafeMutableBufferPointer { _ = ntk_mpi_allreduce_sum($0.baseAddress, count) }
    }

    /// This process's CPU time so far (all its threads), in seconds.
    public static var cpuSeconds: Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// The sum of `value` over all processes, on every process.
    public static func total(_ value: Double) -> Double {
        var values = [value]
        sum(&values)
        return values[0]
    }

    /// The smallest of `value` over all processes.
    public static func minimum(_ value: Int) -> Int { Int(ntk_mpi_allreduce_min_long(Int64(value))) }

    /// Whether `flag` is true on any process.
    public static func any(_ flag: Bool) -> Bool { ntk_mpi_allreduce_max_int(flag ? 1 : 0) == 1 }

    /// Runs `body` on every process, which may fail on some of them only (a kernel block that
    /// overflowed); then, if it failed anywhere, throws on every process, so that none goes on
    /// to a collective step the others never reach: the error itself where it happened (a
    /// process other than the root also prints it), `DistributedError.failedElsewhere` elsewhere.
    public static func agreeing<T>(_ body: () throws -> T) throws -> T {
        var result: Result<T, Error>
        do { result = .success(try body()) } catch { result = .failure(error) }
        var failed = false
        if case .failure = result { failed = true }
        guard any(failed) else { return try result.get() }
        if case let .failure(error) = result {
            if !isRoot { FileHandle.standardError.write(Data("ntkbridge-mpi (rank \(rank)): \(error)\n".utf8)) }
            throw error
        }
        throw DistributedError.failedElsewhere
    }

    /// The bytes of `root`'s `text` on every process.
    public static func broadcast(_ text: String, from root: Int = 0) -> String {
        var bytes = rank == root ? Array(text.utf8) : []
        var count = [Double(bytes.count)]
        if rank != root { count[0] = 0 }
        sum(&count)
        if rank != root { bytes = [UInt8](repeating: 0, count: Int(count[0])) }
        let length = bytes.count
        bytes.withUnsafeMutableBytes { _ = ntk_mpi_bcast_bytes($0.baseAddress, length, Int32(root)) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
