/// The rows 0..<n cut into blocks of `blockSize` rows dealt out cyclically to the processes
/// (ScaLAPACK's block-cyclic layout on a P × 1 grid): block b goes to process b mod P.
public struct RowBlocks: Sendable {
    public let count: Int
    public let blockSize: Int
    public let processes: Int

    /// Blocks small enough that every process gets several (balance: the cost of a row of a
    /// symmetric kernel depends on where it is), at most 256 rows.
    public init(count: Int, processes: Int) {
        self.count = count
        self.processes = processes
        blockSize = max(1, min(256, (count + 4 * processes - 1) / (4 * processes)))
    }

    public var blockCount: Int { (count + blockSize - 1) / blockSize }

    public func range(ofBlock b: Int) -> Range<Int> { (b * blockSize)..<min(count, (b + 1) * blockSize) }

    /// The blocks of process `rank`, in order.
    public func blocks(of rank: Int) -> [Int] { Array(stride(from: rank, to: blockCount, by: processes)) }
}
