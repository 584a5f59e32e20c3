import InfiniteWidth
import LinearAlgebra

/// Row blocks (all columns) of each kernel, bit-identical to those rows of
/// `recursion.kernels(x1, x2, depths:)`: for each range in `blocks`, one kernel per depth.
///
/// This is the one place that computes a process's rows. A cross kernel (X2 given) evaluates
/// every pair (x1_i, x2_j) on its own, so X1[rows] against X2 gives exactly those rows, at
/// |rows|·n2 pairs of work. A symmetric kernel computes each pair once with i ≤ j and mirrors
/// it, and the existing API has no entry that evaluates a row strip in that orientation with
/// the same bits: until the row-range API `KernelRecursion.kernels(_:_:depths:rows:)` is
/// available, each process computes the whole symmetric kernel and keeps its rows (correct and
/// bit-identical; its compute does not scale, its writing does). Swapping the symmetric branch
/// for the row-range call is the whole change; the MPI tests compare bit for bit.
public enum KernelRows {
    public static func kernels(_ recursion: KernelRecursion, _ x1: Matrix, _ x2: Matrix?, depths: [Int],
                               blocks: [Range<Int>]) throws -> [[NetworkKernels]] {
        if let x2 {
            return try blocks.map { try recursion.kernels(x1.rows($0), x2, depths: depths) }
        }
        guard !blocks.isEmpty else { return [] }
        let whole = try recursion.kernels(x1, depths: depths)
        return blocks.map { rows in whole.map { $0.block(rows: rows, columns: 0..<x1.rows) } }
    }
}
