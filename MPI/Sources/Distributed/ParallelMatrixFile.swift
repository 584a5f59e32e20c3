import Foundation
import LinearAlgebra
import Reports

/// A matrix file written by all processes at once, each its own rows, in exactly the bytes the
/// serial `MatrixFileFormat.write` produces.
///
/// - .npy: the root creates the file at its full size with the header; after a barrier each
///   process writes its rows at their offsets (pwrite).
/// - .csv: rows have no fixed width, so each process writes the text of each of its row blocks
///   to a part file; the root concatenates the parts in row order and removes them.
public enum ParallelMatrixFile {
    /// Phase 1 (root only): create `path` for a rows × columns matrix.
    public static func create(_ path: String, format: MatrixFileFormat, rows: Int, columns: Int) throws {
        guard format == .npy else { return }
        let header = MatrixFileFormat.npyHeader(rows: rows, columns: columns)
        guard FileManager.default.createFile(atPath: path, contents: header) else {
            throw DistributedError.io(path: path, reason: "cannot create it")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.truncate(atOffset: UInt64(header.count + rows * columns * 8))
    }

    /// Phase 2 (every process): write `block`, rows `range` of the matrix.
    public static func write(_ block: Matrix, rows range: Range<Int>, blockIndex: Int, to path: String,
                             format: MatrixFileFormat, totalRows: Int) throws {
        switch format {
        case .npy:
            let headerSize = MatrixFileFormat.npyHeader(rows: totalRows, columns: block.columns).count
            let fd = open(path, O_WRONLY)
            guard fd >= 0 else { throw DistributedError.io(path: path, reason: String(cString: strerror(errno))) }
            defer { close(fd) }
            let bytes = block.elements.map { $0.bitPattern.littleEndian }
            let offset = off_t(headerSize + range.lowerBound * block.columns * 8)
            let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, offset) }
            guard written == bytes.count * 8 else {
                throw DistributedError.io(path: path, reason: "short write at row \(range.lowerBound)")
            }
            guard fsync(fd) == 0 else { throw DistributedError.io(path: path, reason: String(cString: strerror(errno))) }
        case .csv:
            var text = ""
            for i in 0..<block.rows {
                for j in 0..<block.columns {
                    if j > 0 { text += "," }
                    text += block[i, j].description
                }
                text += "\n"
            }
            try AtomicOutput.write(Data(text.utf8), to: partPath(path, blockIndex))
        }
    }

    /// Phase 3 (root only, after a barrier): join the parts of a CSV file.
    public static func finish(_ path: String, format: MatrixFileFormat, blockCount: Int) throws {
        guard format == .csv else { return }
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw DistributedError.io(path: path, reason: "cannot create it")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        for b in 0..<blockCount {
            let part = partPath(path, b)
            try handle.write(contentsOf: try Data(contentsOf: URL(fileURLWithPath: part)))
            try FileManager.default.removeItem(atPath: part)
        }
        try handle.synchronize()
    }

    private static func partPath(_ path: String, _ block: Int) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().path + "/.\(url.lastPathComponent).part-\(block)"
    }
}
