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

    /// Streams the CSV text of `matrix` in blocks of rows.
    static func writeCSV(_ matrix: Matrix, to handle: FileHandle) throws {
        var text = ""
        text.reserveCapacity(1 << 20)
        for i in 0..<matrix.rows {
            for j in 0..<matrix.columns {
                if j > 0 { text += "," }
                text += matrix[i, j].description
            }
            text += "\n"
            if text.utf8.count > (1 << 20) - 4096 || i == matrix.rows - 1 {
                try handle.write(contentsOf: Data(text.utf8))
                text.removeAll(keepingCapacity: true)
            }
        }
    }

    /// The .npy header for a float64 C-ordered matrix, padded so that the data starts at a
    /// multiple of 64 bytes.
    public static func npyHeader(rows: Int, columns: Int) -> Data {
        var dictionary = "{'descr': '<f8', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        let unpadded = 10 + dictionary.utf8.count + 1
        dictionary += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var header = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(dictionary.utf8.count)
        header.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        header.append(contentsOf: Array(dictionary.utf8))
        return header
    }

    static func writeNPY(_ matrix: Matrix, to handle: FileHandle) throws {
        try handle.write(contentsOf: npyHeader(rows: matrix.rows, columns: matrix.columns))
        let littleEndian = matrix.elements.map { $0.bitPattern.littleEndian }
        try littleEndian.withUnsafeBytes { try handle.write(contentsOf: Data($0)) }
    }
}

extension Matrix {
    /// Reads a float64 .npy file (version 1.0/2.0, C order, little-endian, two dimensions) — the
    /// inverse of `MatrixFileFormat.npy`, for tests and for users' inputs.
    public init(npyFile path: String) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw InputFileError.unreadable(file: path, reason: (error as NSError).localizedDescription)
        }
        func malformed(_ reason: String) -> InputFileError { .unreadable(file: path, reason: reason) }
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw malformed("not a .npy file")
        }
        let major = bytes[6]
        let headerLength = major == 1 ? Int(bytes[8]) | Int(bytes[9]) << 8
            : Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        let headerStart = major == 1 ? 10 : 12
        guard bytes.count >= headerStart + headerLength,
              let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: .ascii) else {
            throw malformed("truncated .npy header")
        }
        guard header.contains("'<f8'"), header.contains("'fortran_order': False") else {
            throw malformed("only little-endian float64 in C order is read, the header says \(header)")
        }
        guard let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
            throw malformed("no shape in the .npy header")
        }
        let shape = header[open.upperBound..<close].split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        guard shape.count == 2 else { throw malformed("expected a two-dimensional array, the shape is \(shape)") }
        let start = headerStart + headerLength
        guard bytes.count - start == shape[0] * shape[1] * 8 else { throw malformed("the data does not match the shape") }
        var elements = [Double](repeating: 0, count: shape[0] * shape[1])
        for k in elements.indices {
            var bits: UInt64 = 0
            for b in 0..<8 { bits |= UInt64(bytes[start + 8 * k + b]) << (8 * b) }
            elements[k] = Double(bitPattern: bits)
        }
        self.init(rows: shape[0], columns: shape[1], elements: elements)
    }
}
