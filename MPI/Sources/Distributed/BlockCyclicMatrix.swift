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
