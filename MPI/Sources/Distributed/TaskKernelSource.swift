import InfiniteWidth
import LinearAlgebra

/// Blocks of the kernels on the stacked task points (`StackedPoints`), for a process that needs
/// only some of them: computed on demand by `KernelTiles` (each block bit-identical to those
/// entries of the serial `TaskKernels`), or cut from kernels imported whole (`--kernel-dir`).
public struct TaskKernelSource: Sendable {
    private enum Storage: Sendable {
        case computed(KernelTiles)
        case imported(NetworkKernels)
    }

    private let storage: Storage

    /// The kernels of `recursion` at its architecture's depth on the stacked `inputs`.
    public init(recursion: KernelRecursion, inputs: Matrix) throws {
        storage = .computed(try KernelTiles(recursion, inputs, depths: [recursion.architecture.depth]))
    }

    public init(imported kernels: NetworkKernels) { storage = .imported(kernels) }

    /// Rows `rows` × columns `columns` of every kernel.
    public func block(rows: Range<Int>, columns: Range<Int>) throws -> NetworkKernels {
        switch storage {
        case let .computed(tiles): return try tiles.tile(rows: rows, columns: columns)[0]
        case let .imported(kernels): return kernels.block(rows: rows, columns: columns)
        }
    }
}

/// The indices of an outer system (Φ, Θ_MTL) grouped by training task: task i owns `sizes[i]`
/// consecutive indices, drawn from the stacked points `points[i]` (a range per task).
struct TaskPartition {
    /// offsets[i] = the first index of task i; offsets[N] = the size of the system.
    let offsets: [Int]

    init(sizes: [Int]) {
        var offsets = [0]
        for size in sizes { offsets.append(offsets.last! + size) }
        self.offsets = offsets
    }

    var size: Int { offsets.last! }

    /// The task owning index `k`.
    func task(of k: Int) -> Int {
        var (low, high) = (0, offsets.count - 2)
        while low < high {
            let middle = (low + high + 1) / 2
            if offsets[middle] <= k { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// The tasks whose indices meet `range` (non-empty).
    func tasks(covering range: Range<Int>) -> ClosedRange<Int> { task(of: range.lowerBound)...task(of: range.upperBound - 1) }
}

/// The rows of each training task's adaptation map A_i = [I, −B_i] (theory.md §4) applied to a
/// block of Θ over the stacked points of consecutive tasks.
enum AdaptedBlocks {
    /// A_rows·T·A_columnsᵀ for T = Θ(stacked rows of `rowTasks`, stacked columns of `columnTasks`)
    /// starting at stacked points `rowStart`, `columnStart`: first M = T·𝒜ᵀ (block column j:
    /// T(·, X_j) − T(·, X'_j)·B_jᵀ), then block row i: M(X_i, ·) − B_i·M(X'_i, ·), as
    /// `MetaInducedKernel` assembles Φ.
    static func metaInduced(_ t: Matrix, rowTasks: ClosedRange<Int>, rowStart: Int, columnTasks: ClosedRange<Int>,
                            columnStart: Int, query: [Range<Int>], support: [Range<Int>], maps: [Matrix]) -> Matrix {
        func shifted(_ r: Range<Int>, _ s: Int) -> Range<Int> { (r.lowerBound - s)..<(r.upperBound - s) }
        let width = columnTasks.reduce(0) { $0 + query[$1].count }
        var m = Matrix(rows: t.rows, columns: width)
        var column = 0
        for j in columnTasks {
            let n = query[j].count
            let target = BlockRange(rows: 0..<t.rows, columns: column..<(column + n))
            m.setBlock(t.block(rows: 0..<t.rows, columns: shifted(query[j], columnStart)), at: 0, column)
            Matrix.multiplyAdd(into: &m, at: target, t, aBlock: BlockRange(rows: 0..<t.rows, columns: shifted(support[j], columnStart)),
                               maps[j], transposeB: true, alpha: -1, beta: 1)
            column += n
        }
        return Matrix.stackingRows(rowTasks.map { i in
            var rows = m.block(rows: shifted(query[i], rowStart), columns: 0..<width)
            Matrix.multiplyAdd(into: &rows, maps[i], m, bBlock: BlockRange(rows: shifted(support[i], rowStart), columns: 0..<width),
                               alpha: -1, beta: 1)
            return rows
        })
    }
}
