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
}
