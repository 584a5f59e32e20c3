import InfiniteWidth
import LinearAlgebra

/// Row blocks (all columns) of each kernel, bit-identical to those rows of
/// `recursion.kernels(x1, x2, depths:)`: for each range in `blocks`, one kernel per depth.
///
/// This is the one place that computes a process's rows. It calls the row-range entry
/// `KernelRecursion.kernels(_:_:depths:rows:)`, which computes only the pairs of those rows (for a
/// symmetric kernel, the part left of the diagonal as the earlier rows compute it), so the work
/// of a symmetric kernel is shared among the processes as well as its writing.
public enum KernelRows {
    public static func kernels(_ recursion: KernelRecursion, _ x1: Matrix, _ x2: Matrix?, depths: [Int],
                               blocks: [Range<Int>]) throws -> [[NetworkKernels]] {
        try blocks.map { try recursion.kernels(x1, x2, depths: depths, rows: $0) }
    }
}
