import Foundation
import LinearAlgebra

/// The file formats a matrix can be written in.
public enum MatrixFileFormat: String, CaseIterable, Sendable {
    /// Comma-separated, no header, one row per line, every value in its shortest round-trip
    /// decimal form (parsing it back gives the same bits).
    case csv
    /// NumPy's .npy (version 1.0, little-endian float64, C order).
    case npy

    public var fileExtension: String { rawValue }
}

extension MatrixFileFormat {
    /// Writes `matrix` to `path` in this format, atomically.
    public func write(_ matrix: Matrix, to path: String) throws {
        switch self {
        case .csv: try AtomicOutput.write(to: path) { try MatrixFileFormat.writeCSV(matrix, to: $0) }
        case .npy: try AtomicOutput.write(to: path) { try MatrixFileFormat.writeNPY(matrix, to: $0) }
        }
    }

    /// Rows formatted per piece of CSV work (about 1 MB of text for a 4000-column matrix).
    static let csvRowsPerPiece = 16

    /// Streams the CSV text of `matrix`: pieces of rows are formatted on all cores into byte
    /// buffers (shortest round-trip text, `DecimalText`), written in order.
    static func writeCSV(_ matrix: Matrix, to handle: FileHandle) throws {
        try matrix.withUnsafeBufferPointer { storage in
            try writeCSV(storage.baseAddress!, rows: matrix.rows, columns: matrix.columns, to: handle.fileDescriptor)
        }
    }

    /// Streams the CSV text of the row-major rows × columns matrix at `base` to `descriptor`.
    public static func writeCSV(_ base: UnsafePointer<Double>, rows: Int, columns: Int, to descriptor: Int32) throws {
        let rowsPerPiece = max(1, (1 << 16) / max(1, columns))
        let piecesPerRound = ParallelLoop.workerCount * 4
        let source = SendablePointer(base)
        var firstRow = 0
        while firstRow < rows {
            let roundStart = firstRow
            let pieces = (0..<piecesPerRound).map { k in
                min(rows, roundStart + k * rowsPerPiece)..<min(rows, roundStart + (k + 1) * rowsPerPiece)
            }.filter { !$0.isEmpty }
            let texts = ParallelBuffers(count: pieces.count)
            ParallelLoop.forEachChunk(count: pieces.count) { range in
                for k in range {
                    var text: [UInt8] = []
                    DecimalText.appendCSVLines(source.base, rows: pieces[k], columns: columns, to: &text)
                    texts.set(k, text)
                }
            }
            for k in 0..<pieces.count {
                try texts.get(k).withUnsafeBytes { try FileDescriptorOutput.writeAll(descriptor, $0.baseAddress!, count: $0.count) }
            }
            firstRow = pieces.last!.upperBound
        }
    }

    /// The .npy header for a float64 C-ordered matrix, padded so that the data starts at a
    /// multiple of 64 bytes.
    public static func npyHeader(rows: Int, columns: Int) -> Data {
        Data(NPYHeader.encoded(rows: rows, columns: columns))
    }

    /// Writes the header, then the matrix storage itself (no copy: float64 is little-endian here).
    static func writeNPY(_ matrix: Matrix, to handle: FileHandle) throws {
        try writeNPY(rows: matrix.rows, columns: matrix.columns, to: handle.fileDescriptor) { write in
            try matrix.withUnsafeBufferPointer { try write(UnsafeRawPointer($0.baseAddress!), $0.count * 8) }
        }
    }

    /// Writes a .npy header for rows × columns float64, then the data that `body` passes to the
    /// writer it is given (in as many pieces as it likes, in order).
    public static func writeNPY(rows: Int, columns: Int, to descriptor: Int32,
                                _ body: ((UnsafeRawPointer, Int) throws -> Void) throws -> Void) throws {
        #if !_endian(little)
        #error("the .npy writer stores float64 in host order, which must be little-endian")
        #endif
        let header = NPYHeader.encoded(rows: rows, columns: columns)
        try header.withUnsafeBytes { try FileDescriptorOutput.writeAll(descriptor, $0.baseAddress!, count: $0.count) }
        try body { try FileDescriptorOutput.writeAll(descriptor, $0, count: $1) }
    }
}

/// A read-only pointer shared by parallel workers.
struct SendablePointer: @unchecked Sendable {
    let base: UnsafePointer<Double>
    init(_ base: UnsafePointer<Double>) { self.base = base }
}

/// One result slot per parallel worker item (each slot written by one worker).
final class ParallelBuffers: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<[UInt8]>
    private let count: Int
    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: count)
        slots.initialize(repeating: [], count: count)
    }
    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }
    func set(_ k: Int, _ value: [UInt8]) { slots[k] = value }
    func get(_ k: Int) -> [UInt8] { slots[k] }
}
