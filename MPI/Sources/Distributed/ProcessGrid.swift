import CMPI

/// A BLACS process grid R × C over all processes (row-major ranks), on which ScaLAPACK lays
/// matrices out block-cyclically.
public struct ProcessGrid: Sendable {
    public let context: Int32
    public let rows: Int
    public let columns: Int
    public let row: Int
    public let column: Int

    /// The grid shape for `processes`: "RxC" as given (R·C = processes), "square" (refused when
    /// `processes` is not a perfect square), or nil: the most nearly square R × C with R ≤ C
    /// (2 → 1 × 2, 4 → 2 × 2, 6 → 2 × 3).
    public static func shape(_ shape: String?, processes: Int) throws -> (rows: Int, columns: Int) {
        guard let shape else {
            let rows = (1...max(1, Int(Double(processes).squareRoot()))).last { processes % $0 == 0 } ?? 1
            return (rows, processes / rows)
        }
        if shape == "square" {
            let side = Int(Double(processes).squareRoot().rounded())
            guard side * side == processes else { throw DistributedError.notSquare(processes: processes) }
            return (side, side)
        }
        let parts = shape.lowercased().split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 2, let r = parts[0], let c = parts[1], r >= 1, c >= 1 else {
            throw DistributedError.malformedGrid(shape)
        }
        guard r * c == processes else { throw DistributedError.gridMismatch(rows: r, columns: c, processes: processes) }
        return (r, c)
    }

    /// Creates the grid (every process must call this).
    public init(rows: Int, columns: Int) {
        var context: Int32 = 0
        Cblacs_get(0, 0, &context)
        Cblacs_gridinit(&context, "R", Int32(rows), Int32(columns))
        var (r, c, myRow, myColumn): (Int32, Int32, Int32, Int32) = (0, 0, 0, 0)
        Cblacs_gridinfo(context, &r, &c, &myRow, &myColumn)
        self.context = context
        self.rows = Int(r)
        self.columns = Int(c)
        row = Int(myRow)
        column = Int(myColumn)
    }

    public func release() { Cblacs_gridexit(context) }
}
