import Foundation
import LinearAlgebra
import Reports

/// The first phase of a matrix file written by all processes at once (`BlockCyclicFile`).
public enum ParallelMatrixFile {
    /// Root only: creates the .npy `path` for a rows × columns matrix at its full size, with the
    /// serial header, for the processes to write their shares into. (A .csv file is written by
    /// the root alone; nothing to prepare.)
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
}
