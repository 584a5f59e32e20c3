import InfiniteWidth
import LinearAlgebra

/// Row blocks (all columns) of each kernel, bit-identical to those rows of
/// `recursion.kernels(x1, x2, depths:)`: for each range in `blocks`, one kernel per depth.
///
/// This is the one place that computes a process's rows. It calls the row-range entry
/// `KernelRecursion.kernels(_:_:depths:rows:)`, which computes only the pairs of those rows (for a
/// symmetric kernel, the part left of the diagonal as the earlier rows compute it), so the work
/// is shared among the processes as well as the writing. Where row blocks are not bit-identical to
/// the whole matrix (`rowBlocksAreBitIdentical`: the truncated Hermite series of tanh, SiLU, …),
/// each process computes the whole kernel and keeps its rows, which keeps the output identical
/// to the serial command's at the price of compute that does not scale.
public enum KernelRows {
    public static func kernels(_ recursion: KernelRecursion, _ x1: Matrix, _ x2: Matrix?, depths: [Int],
                               blocks: [Range<Int>]) throws -> [[NetworkKernels]] {
        guard !blocks.isEmpty else { return [] }
        if recursion.rowBlocksAreBitIdentical {
            return try blocks.map { try recursion.kernels(x1, x2, depths: depths, rows: $0) }
        }
        let whole = try recursion.kernels(x1, x2, depths: depths)
        let columns = 0..<(x2?.rows ?? x1.rows)
        return blocks.map { rows in whole.map { $0.block(rows: rows, columns: columns) } }
    }
}
