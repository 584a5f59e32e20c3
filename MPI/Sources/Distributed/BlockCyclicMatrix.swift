import CMPI
import LinearAlgebra

/// This process's share of an m × n matrix in ScaLAPACK's 2-D block-cyclic layout: blocks of
/// nb × nb, block (I, J) on grid process (I mod R, J mod C), stored column-major locally.
public struct BlockCyclicMatrix {
    public let grid: ProcessGrid
    public let globalRows: Int
    public let globalColumns: Int
    public let blockSize: Int
    public let localRows: Int
    public let localColumns: Int
    public var local: [Double]
    public private(set) var descriptor: [Int32]

    public init(grid: ProcessGrid, rows: Int, columns: Int, blockSize: Int) {
        self.grid = grid
        globalRows = rows
        globalColumns = columns
        self.blockSize = blockSize
        var (m, n, nb, zero) = (Int32(rows), Int32(columns), Int32(blockSize), Int32(0))
        var (myRow, myColumn, r, c) = (Int32(grid.row), Int32(grid.column), Int32(grid.rows), Int32(grid.columns))
        localRows = Int(numroc_(&m, &nb, &myRow, &zero, &r))
        localColumns = Int(numroc_(&n, &nb, &myColumn, &zero, &c))
        local = [Double](repeating: 0, count: localRows * localColumns)
        descriptor = [Int32](repeating: 0, count: 9)
        var lld = Int32(max(1, localRows)), context = grid.context, info: Int32 = 0
        descinit_(&descriptor, &m, &n, &nb, &nb, &zero, &zero, &context, &lld, &info)
    }

    /// The global index of local row (or column) `l` on grid row (column) `p` of `count`.
    func global(_ l: Int, process p: Int, of count: Int) -> Int {
        (l / blockSize * count + p) * blockSize + l % blockSize
    }

    /// This process's blocks of `matrix` (every process holds all of it).
    public init(scattering matrix: Matrix, grid: ProcessGrid, blockSize: Int) {
        self.init(grid: grid, rows: matrix.rows, columns: matrix.columns, blockSize: blockSize)
        let n = matrix.columns
        matrix.withUnsafeBufferPointer { source in
            for lj in 0..<localColumns {
                let j = global(lj, process: grid.column, of: grid.columns)
                for li in 0..<localRows {
                    local[li + lj * localRows] = source[global(li, process: grid.row, of: grid.rows) * n + j]
                }
            }
        }
    }

    /// This process's blocks, each from `block(rows, columns)` (a rows.count × columns.count
    /// matrix, the global block rows × columns): the matrix is never whole on any process.
    public init(grid: ProcessGrid, rows: Int, columns: Int, blockSize: Int,
                filling block: (Range<Int>, Range<Int>) throws -> Matrix) rethrows {
        self.init(grid: grid, rows: rows, columns: columns, blockSize: blockSize)
        let layout = BlockCyclicLayout(rows: rows, columns: columns, blockSize: blockSize, grid: grid)
        let localRows = localRows
        var lj = 0
        for columnRange in layout.columnBlocks(gridColumn: grid.column) {
            var li = 0
            for rowRange in layout.rowBlocks(gridRow: grid.row) {
                let values = try block(rowRange, columnRange)
                precondition(values.rows == rowRange.count && values.columns == columnRange.count, "block of the wrong shape")
                values.withUnsafeBufferPointer { source in
                    for c in 0..<columnRange.count {
                        for r in 0..<rowRange.count {
                            local[li + r + (lj + c) * localRows] = source[r * columnRange.count + c]
                        }
                    }
                }
                li += rowRange.count
            }
            lj += columnRange.count
        }
    }

    /// Calls `body(local index, global row, global column)` for each diagonal entry this process holds.
    func forEachDiagonalEntry(_ body: (Int, Int) -> Void) {
        for lj in 0..<localColumns {
            let j = global(lj, process: grid.column, of: grid.columns)
            for li in 0..<localRows where global(li, process: grid.row, of: grid.rows) == j {
                body(li + lj * localRows, j)
            }
        }
    }

    /// The trace, on every process.
    public func trace() -> Double {
        var sum = 0.0
        forEachDiagonalEntry { k, _ in sum += local[k] }
        var total = [sum]
        Communicator.sum(&total)
        return total[0]
    }

    /// M + r·mean(diag M)·I, as `Matrix.addingRelativeDiagonal` (square matrices).
    public mutating func addRelativeDiagonal(_ r: Double) {
        guard r != 0, globalRows > 0 else { return }
        let shift = r * trace() / Double(globalRows)
        var entries: [Int] = []
        forEachDiagonalEntry { k, _ in entries.append(k) }
        for k in entries { local[k] += shift }
    }

    /// The first non-finite entry in row-major order (row, column), the same on every process.
    public func firstNonFinite() -> (row: Int, column: Int)? {
        var first = Int.max
        for lj in 0..<localColumns {
            let j = global(lj, process: grid.column, of: grid.columns)
            for li in 0..<localRows where !local[li + lj * localRows].isFinite {
                first = min(first, global(li, process: grid.row, of: grid.rows) * globalColumns + j)
            }
        }
        let overall = Communicator.minimum(first)
        guard overall != Int.max else { return nil }
        return (overall / globalColumns, overall % globalColumns)
    }

    /// The whole matrix on every process (each block is summed with zeros elsewhere: exact).
    public func gathered() -> Matrix {
        var elements = [Double](repeating: 0, count: globalRows * globalColumns)
        for lj in 0..<localColumns {
            let j = global(lj, process: grid.column, of: grid.columns)
            for li in 0..<localRows {
                elements[global(li, process: grid.row, of: grid.rows) * globalColumns + j] = local[li + lj * localRows]
            }
        }
        Communicator.sum(&elements)
        return Matrix(rows: globalRows, columns: globalColumns, elements: elements)
    }

    /// Multiplies global row i by `factors[i]`.
    public mutating func scaleRows(by factors: [Double]) {
        for li in 0..<localRows {
            let f = factors[global(li, process: grid.row, of: grid.rows)]
            for lj in 0..<localColumns { local[li + lj * localRows] *= f }
        }
    }
}
