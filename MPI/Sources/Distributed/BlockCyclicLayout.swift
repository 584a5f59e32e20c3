import CMPI

/// ScaLAPACK's 2-D block-cyclic layout of an m × n matrix over a process grid R × C: blocks of
/// nb × nb, block (I, J) on grid process (I mod R, J mod C). `numroc` gives a process's local
/// sizes; its local blocks are listed here in local order (the local matrix is the blocks of
/// its grid row's row blocks × its grid column's column blocks, concatenated).
public struct BlockCyclicLayout: Sendable {
    public let rows: Int
    public let columns: Int
    public let blockSize: Int
    public let gridRows: Int
    public let gridColumns: Int

    public init(rows: Int, columns: Int, blockSize: Int, grid: ProcessGrid) {
        self.init(rows: rows, columns: columns, blockSize: blockSize, gridRows: grid.rows, gridColumns: grid.columns)
    }

    public init(rows: Int, columns: Int, blockSize: Int, gridRows: Int, gridColumns: Int) {
        self.rows = rows
        self.columns = columns
        self.blockSize = blockSize
        self.gridRows = gridRows
        self.gridColumns = gridColumns
    }

    /// numroc: how many of `count` indices grid coordinate `p` of `processes` holds.
    public func localCount(_ count: Int, process p: Int, of processes: Int) -> Int {
        var (n, nb, iproc, source, nprocs) = (Int32(count), Int32(blockSize), Int32(p), Int32(0), Int32(processes))
        return Int(numroc_(&n, &nb, &iproc, &source, &nprocs))
    }

    public func localRows(gridRow r: Int) -> Int { localCount(rows, process: r, of: gridRows) }
    public func localColumns(gridColumn c: Int) -> Int { localCount(columns, process: c, of: gridColumns) }

    /// The global ranges of the blocks of `count` indices held by grid coordinate `p`, in local order.
    public func blocks(_ count: Int, process p: Int, of processes: Int) -> [Range<Int>] {
        stride(from: p * blockSize, to: count, by: processes * blockSize).map { $0..<min(count, $0 + blockSize) }
    }

    public func rowBlocks(gridRow r: Int) -> [Range<Int>] { blocks(rows, process: r, of: gridRows) }
    public func columnBlocks(gridColumn c: Int) -> [Range<Int>] { blocks(columns, process: c, of: gridColumns) }

    /// A block size for an m × n matrix on an R × C grid: a multiple of 4 (the kernel recursion's
    /// lane), at most 256 (its inner-product tile), small enough that every grid row and column
    /// gets about two blocks.
    public static func blockSize(rows: Int, columns: Int, gridRows: Int, gridColumns: Int) -> Int {
        let perSide = max((rows + 2 * gridRows - 1) / (2 * gridRows), (columns + 2 * gridColumns - 1) / (2 * gridColumns))
        return min(256, max(4, (perSide + 3) / 4 * 4))
    }
}
