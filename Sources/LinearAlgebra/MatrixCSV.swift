import CNumerics
import Foundation

/// A problem with a numeric input file, located precisely enough to fix it.
///
/// (Reading a numeric CSV into a `Matrix` lives beside the type because two modules need it:
/// the CLI for kernel inputs and `FewShot` for labelled data sets, and `FewShot` sits below
/// `Reports`.)
public enum InputFileError: Error, CustomStringConvertible, Equatable {
    case unreadable(file: String, reason: String)
    case noData(file: String)
    case raggedRow(file: String, line: Int, expected: Int, found: Int)
    case notANumber(file: String, line: Int, column: Int, text: String)
    case nonFinite(file: String, line: Int, column: Int, text: String)
    case isDirectory(file: String)
    case notRegularFile(file: String)
    case notUTF8(file: String, byte: Int)
    case looksLikeNPY(file: String)
    case looksLikeZip(file: String)
    case unexpectedSeparator(file: String, line: Int, column: Int, found: String)
    /// A .npy file whose header or data cannot be used.
    case malformedNPY(file: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): cannot be read: \(reason)"
        case let .noData(file):
            return "\(file): holds no data rows (blank lines and lines starting with # are skipped)"
        case let .raggedRow(file, line, expected, found):
            return "\(file):\(line): has \(found) values, but earlier rows have \(expected)"
        case let .notANumber(file, line, column, text):
            return "\(file):\(line): column \(column): '\(text)' is not a number"
        case let .nonFinite(file, line, column, text):
            return "\(file):\(line): column \(column): '\(text)' is not finite (NaN and infinities are refused)"
        case let .isDirectory(file):
            return "\(file): is a directory, not a file"
        case let .notRegularFile(file):
            return "\(file): is not a regular file (a device, pipe or socket cannot be read as input)"
        case let .notUTF8(file, byte):
            return "\(file): is not UTF-8 text at byte \(byte) (expected comma-separated numbers)"
        case let .looksLikeNPY(file):
            return "\(file): looks like a .npy file, not comma-separated text (name it with the .npy extension)"
        case let .looksLikeZip(file):
            return "\(file): looks like a zip archive (.npz?), not comma-separated text"
        case let .unexpectedSeparator(file, line, column, found):
            return "\(file):\(line): column \(column): expected comma-separated numbers, found '\(found)' after a number"
        case let .malformedNPY(file, reason):
            return "\(file): is not a usable .npy file: \(reason)"
        }
    }
}

/// Reads a whole text file, refusing with `InputFileError` naming it (a folder, a device, text
/// that is not UTF-8 at byte N).
public func readTextFile(_ path: String) throws -> String {
    let file = try InputFileBytes(path: path)
    let invalid = file.storage.withUnsafeBufferPointer { ntkb_utf8_invalid_offset($0.baseAddress!, 0, file.count) }
    // (size_t SIZE_MAX, "all valid", arrives as −1.)
    guard invalid < 0 else { throw InputFileError.notUTF8(file: path, byte: invalid) }
    return String(decoding: file.storage.dropLast(), as: UTF8.self)
}

extension Matrix {
    /// Reads a numeric text file: one row per line, no header. Lines end with LF, CRLF or CR;
    /// values are separated by a comma (blanks around it are ignored) or by spaces/tabs (NumPy
    /// `savetxt`'s default); blank lines and lines starting with `#` are skipped, and `#` after a
    /// value starts a comment. Every row must have the same number of finite values. Decimals
    /// are converted with correct rounding, so shortest round-trip text reads back bit for bit.
    public init(csvFile path: String) throws {
        let file = try InputFileBytes(path: path)
        try self.init(csvBytes: file.storage, count: file.count, source: path)
    }

    /// Parses CSV text as in `init(csvFile:)`; `source` names it in errors.
    public init(csvText text: String, source: String) throws {
        let bytes = Array(text.utf8) + [0]
        try self.init(csvBytes: bytes, count: bytes.count - 1, source: source)
    }

    /// Parses the first `count` bytes of `bytes` (which holds a zero byte after them) as in
    /// `init(csvFile:)`: the text is cut at line starts into pieces scanned on all cores.
    public init(csvBytes bytes: [UInt8], count: Int, source: String) throws {
        precondition(bytes.count > count && bytes[count] == 0, "the text must be followed by a zero byte")
        let parsed = try bytes.withUnsafeBufferPointer { buffer in
            try CSVScan(text: buffer.baseAddress!, count: count, source: source).matrix()
        }
        self = parsed
    }
}

/// One scan of numeric text: check that it is text, count the rows, then parse pieces of whole
/// lines in parallel straight into the matrix storage.
private struct CSVScan {
    let text: UnsafePointer<UInt8>
    let count: Int
    let source: String

    /// Texts below this size are scanned in one piece.
    static let parallelAbove = 1 << 20

    func matrix() throws -> Matrix {
        if count >= 6 && text[0] == 0x93 && (1...5).allSatisfy({ text[$0] == Array("NUMPY".utf8)[$0 - 1] }) {
            throw InputFileError.looksLikeNPY(file: source)
        }
        if count >= 4 && text[0] == 0x50 && text[1] == 0x4B && text[2] == 3 && text[3] == 4 {
            throw InputFileError.looksLikeZip(file: source)
        }
        let pieces = pieceBoundaries()
        let pieceCount = pieces.count - 1
        // Per piece: the first invalid UTF-8 byte and the number of data rows.
        var invalid = [Int](repeating: Int.max, count: pieceCount)
        var rows = [Int](repeating: 0, count: pieceCount)
        invalid.withUnsafeMutableBufferPointer { invalidOut in
            rows.withUnsafeMutableBufferPointer { rowsOut in
                let work = CensusWork(text: SendableText(text), pieces: pieces,
                                      invalid: SharedPointer<Int>(invalidOut.baseAddress!), rows: SharedPointer<Int>(rowsOut.baseAddress!))
                ParallelLoop.forEachChunk(count: pieceCount) { range in range.forEach(work.run) }
            }
        }
        if let bad = invalid.first(where: { $0 != Int.max }) {
            throw InputFileError.notUTF8(file: source, byte: bad)
        }
        let totalRows = rows.reduce(0, +)
        var error = ntkb_text_error()
        let width = ntkb_text_first_row_width(text, count, &error)
        if width < 0 || error.code != 0 { throw describe(error) }
        guard totalRows > 0, width > 0 else { throw InputFileError.noData(file: source) }
        var firstRow = [Int](repeating: 0, count: pieceCount)
        for k in 1..<max(1, pieceCount) { firstRow[k] = firstRow[k - 1] + rows[k - 1] }
        var errors = [ntkb_text_error](repeating: ntkb_text_error(), count: pieceCount)
        let elements = try [Double](unsafeUninitializedCapacity: totalRows * width) { storage, initialized in
            errors.withUnsafeMutableBufferPointer { errorsOut in
                let work = ParseWork(text: SendableText(text), pieces: pieces, width: width, firstRow: firstRow, rows: rows,
                                     out: SharedPointer(storage.baseAddress!),
                                     errors: SharedPointer<ntkb_text_error>(errorsOut.baseAddress!))
                ParallelLoop.forEachChunk(count: pieceCount) { range in range.forEach(work.run) }
            }
            if let bad = errors.first(where: { $0.code != 0 }) { throw describe(bad) }
            initialized = totalRows * width
        }
        return Matrix(rows: totalRows, columns: width, elements: elements)
    }

    /// Line starts cutting the text into about equal pieces (one piece for short texts).
    private func pieceBoundaries() -> [Int] {
        let pieces = count < Self.parallelAbove ? 1 : ParallelLoop.workerCount * 4
        var boundaries = [0]
        for k in 1..<pieces {
            let b = ntkb_text_line_boundary(text, count, count * k / pieces)
            if b > boundaries.last! && b < count { boundaries.append(b) }
        }
        boundaries.append(count)
        return boundaries
    }

    private func describe(_ error: ntkb_text_error) -> InputFileError {
        let line = ntkb_text_line_number(text, error.offset)
        let token = String(decoding: UnsafeBufferPointer(start: text + error.token_offset, count: error.length), as: UTF8.self)
        switch Int(error.code) {
        case NTKB_TEXT_NON_FINITE:
            return .nonFinite(file: source, line: line, column: error.column, text: token)
        case NTKB_TEXT_BAD_SEPARATOR:
            let found = UnicodeScalar(text[error.offset]).escaped(asASCII: false)
            return .unexpectedSeparator(file: source, line: line, column: error.column, found: found)
        case NTKB_TEXT_RAGGED:
            var first = ntkb_text_error()
            let expected = ntkb_text_first_row_width(text, count, &first)
            return .raggedRow(file: source, line: line, expected: expected, found: error.column)
        default:
            return .notANumber(file: source, line: line, column: error.column, text: token)
        }
    }
}

private struct SendableText: @unchecked Sendable {
    let base: UnsafePointer<UInt8>
    init(_ base: UnsafePointer<UInt8>) { self.base = base }
}

/// Pass 1 on one piece: UTF-8 check and data-row count.
private struct CensusWork: Sendable {
    let text: SendableText
    let pieces: [Int]
    let invalid: SharedPointer<Int>
    let rows: SharedPointer<Int>

    func run(_ k: Int) {
        let bad = ntkb_utf8_invalid_offset(text.base, pieces[k], pieces[k + 1])
        if bad >= 0 { invalid.base[k] = bad }   // SIZE_MAX (all valid) arrives as −1
        rows.base[k] = ntkb_text_count_data_lines(text.base, pieces[k], pieces[k + 1])
    }
}

/// Pass 2 on one piece: its rows parsed into their place in the matrix.
private struct ParseWork: Sendable {
    let text: SendableText
    let pieces: [Int]
    let width: Int
    let firstRow: [Int]
    let rows: [Int]
    let out: SharedPointer<Double>
    let errors: SharedPointer<ntkb_text_error>

    func run(_ k: Int) {
        var error = ntkb_text_error()
        _ = ntkb_text_parse_rows(text.base, pieces[k], pieces[k + 1], width, out.base + firstRow[k] * width, rows[k], &error)
        errors.base[k] = error
    }
}
