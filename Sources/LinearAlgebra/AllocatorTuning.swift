import CNumerics

/// Process-wide memory settings for long numerical runs.
public enum AllocatorTuning {
    /// Makes glibc keep freed blocks of up to 32 MB in its heap instead of returning them to the
    /// operating system. Training allocates parameter-sized buffers at every step; returned to
    /// the system, each would be page-faulted anew (measured: one MAML outer step at width 1024
    /// went from 87 to 45 ms). Call once at program start; larger blocks (whole kernels) are
    /// still mapped and unmapped directly.
    public static func keepFreedMemoryForReuse() {
        ntkb_keep_freed_memory(32 << 20, 512 << 20)
    }

    /// Asks for transparent huge pages on the 2 MiB pages inside a buffer of `bytes` bytes that
    /// has not been touched yet (outputs of a few MB and more). On the project's virtual
    /// machines first touch of 4 KiB pages costs up to several ns per double; with 2 MiB pages
    /// it is close to the cost of zeroing the memory. Harmless where huge pages are disabled.
    public static func adviseHugePages(_ storage: UnsafeMutableRawPointer, bytes: Int) {
        guard bytes >= 4 << 20 else { return }
        ntkb_advise_huge_pages(storage, bytes)
    }

    /// Maps the pages that hold the upper triangle (entries (i, j), j ≥ i) of the untouched
    /// row-major n × n array at `storage`, on all cores, one system call per run of pages instead
    /// of one page fault per page (a third less time for the same zeroing on the project's
    /// virtual machines). The lower triangle's whole pages stay unmapped. A no-op where the
    /// system does not offer it (Linux before 5.14, other systems).
    public static func populateUpperTriangle(_ storage: UnsafeMutablePointer<Double>, size n: Int) {
        let base = SharedPointer(storage)
        ParallelLoop.forEachChunk(count: n, cost: { Double(n - $0) }) { rows in
            _ = ntkb_populate_upper_triangle(base.base, n, rows.lowerBound, rows.upperBound)
        }
    }
}
