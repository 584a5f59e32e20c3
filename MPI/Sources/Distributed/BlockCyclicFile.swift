import CMPI
import Foundation
import LinearAlgebra
import Reports

/// A matrix file written from block-cyclic shares (`BlockCyclicLayout`), in exactly the bytes the
/// serial `MatrixFileFormat.write` produces.
///
/// - .npy: the root creates the file at its full size with the serial header
///   (`ParallelMatrixFile.create`); then every process writes its share with one collective
///   MPI-IO call whose file view is the block-cyclic distribution (MPI_Type_create_darray).
/// - .csv: rows have no fixed width; the shares are gathered to the root (MPI_Gatherv), which
///   writes the file with the serial writer. For small outputs: the root holds the whole matrix.
public enum BlockCyclicFile {
    /// Collective. `share` is this process's local matrix, row-major, at grid position (row, column).
    public static func write(_ share: UnsafeBufferPointer<Double>, layout: BlockCyclicLayout, gridRow: Int, gridColumn: Int, to path: String,
                             format: MatrixFileFormat) throws {
        switch format {
        case .npy:
            let header = MatrixFileFormat.npyHeader(rows: layout.rows, columns: layout.columns).count
            var message = [CChar](repeating: 0, count: 512)
            func write(_ values: UnsafeBufferPointer<Double>) -> Int32 {
                ntk_mpi_write_block_cyclic(path, Int64(header), values.baseAddress, Int64(values.count), Int32(layout.rows),
                                           Int32(layout.columns), Int32(layout.blockSize), Int32(layout.gridRows),
                                           Int32(layout.gridColumns), Int32(gridRow * layout.gridColumns + gridColumn),
                                           &message, Int32(message.count))
            }
            // The bytes of little-endian doubles (a copy only on a big-endian machine).
            let status = 1.littleEndian == 1 ? write(share)
                : share.map { Double(bitPattern: $0.bitPattern.littleEndian) }.withUnsafeBufferPointer(write)
            guard status == 0 else {
                throw DistributedError.io(path: path, reason: "MPI-IO: " + String(decoding: message.prefix { $0 != 0 }.map(UInt8.init(bitPattern:)), as: UTF8.self))
            }
        case .csv:
            let processes = layout.gridRows * layout.gridColumns
            var counts = [Int32](repeating: 0, count: processes), displacements = counts
            var total = 0
            for rank in 0..<processes {
                let (r, c) = rank.quotientAndRemainder(dividingBy: layout.gridColumns)
                let count = layout.localRows(gridRow: r) * layout.localColumns(gridColumn: c)
                counts[rank] = Int32(truncatingIfNeeded: count)
                displacements[rank] = Int32(truncatingIfNeeded: total)
                total += count
            }
            guard total <= Int(Int32.max) else {
                throw DistributedError.io(path: path, reason: "\(layout.rows) × \(layout.columns) values are too many for one "
                                          + ".csv gathered on one process: use --format npy")
            }
            let isRoot = Communicator.isRoot
            var gathered = [Double](repeating: 0, count: isRoot ? max(total, 1) : 1)
            let status = ntk_mpi_gather(share.baseAddress, Int32(share.count), &gathered, counts, displacements, 0)
            guard status == 0 else { throw DistributedError.io(path: path, reason: "MPI_Gatherv failed (\(status))") }
            guard isRoot else { return }
            var whole = Matrix(rows: layout.rows, columns: layout.columns)
            for rank in 0..<processes {
                let (r, c) = rank.quotientAndRemainder(dividingBy: layout.gridColumns)
                let width = layout.localColumns(gridColumn: c)
                var li = 0
                for rowBlock in layout.rowBlocks(gridRow: r) {
                    for i in rowBlock {
                        var lj = 0
                        for columnBlock in layout.columnBlocks(gridColumn: c) {
                            for j in columnBlock {
                                whole[i, j] = gathered[Int(displacements[rank]) + li * width + lj]
                                lj += 1
                            }
                        }
                        li += 1
                    }
                }
            }
            try format.write(whole, to: path)
        }
    }
}
