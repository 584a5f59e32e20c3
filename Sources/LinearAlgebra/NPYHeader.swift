/// The header of a NumPy .npy file (format versions 1.0, 2.0 and 3.0):
///
///     "\x93NUMPY" major minor  header-length (2 bytes LE in 1.0, 4 bytes in 2.0/3.0)
///     {'descr': '<f8', 'fortran_order': False, 'shape': (rows, columns), }   (spaces, "\n")
///
/// The dictionary is a Python literal; it is parsed as one (strings, True/False, tuples of
/// integers), not searched for substrings, and must hold exactly the keys `descr`,
/// `fortran_order` and `shape`. The data follows the header: rows·columns elements of the given
/// type, row after row (C order) or column after column (Fortran order).
public struct NPYHeader: Equatable, Sendable {
    /// The element types read: float64 and float32, either byte order.
    public enum ElementType: String, Sendable, CaseIterable {
        case float64LittleEndian = "<f8"
        case float64BigEndian = ">f8"
        case float32LittleEndian = "<f4"
        case float32BigEndian = ">f4"

        public var size: Int { self == .float64LittleEndian || self == .float64BigEndian ? 8 : 4 }
    }

    public let elementType: ElementType
    public let fortranOrder: Bool
    public let shape: [Int]
    /// Bytes before the data (magic, lengths, dictionary, padding).
    public let dataOffset: Int

    /// The number of elements, checked against overflow.
    public var elementCount: Int { shape.reduce(1, *) }
    public var dataByteCount: Int { elementCount * elementType.size }

    /// The longest header accepted (NumPy writes about 128 bytes).
    public static let maximumHeaderLength = 1 << 20
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// The fixed prefix: magic, version, and the header length field's own size.
    /// Returns the header length and the offset of the dictionary.
    public static func prefixLengths(_ prefix: [UInt8]) throws(NPYHeaderError) -> (dictionary: Int, offset: Int) {
        guard prefix.count >= 8 else { throw .truncated("the file has \(prefix.count) bytes, fewer than a .npy header") }
        guard Array(prefix[0..<6]) == magic else { throw .notNPY }
        let (major, minor) = (prefix[6], prefix[7])
        guard (1...3).contains(major), minor == 0 else {
            throw .unsupported("format version \(major).\(minor) (versions 1.0, 2.0 and 3.0 are read)")
        }
        let fieldSize = major == 1 ? 2 : 4
        guard prefix.count >= 8 + fieldSize else { throw .truncated("the header length field is cut off") }
        var length = 0
        for k in 0..<fieldSize { length |= Int(prefix[8 + k]) << (8 * k) }
        guard length <= maximumHeaderLength else {
            throw .malformed("the header claims \(length) bytes (at most \(maximumHeaderLength) are accepted)")
        }
        return (length, 8 + fieldSize)
    }

    /// Parses the header from the file's first bytes (`bytes` must hold at least the prefix and
    /// the dictionary; see `prefixLengths`).
    public init(_ bytes: [UInt8]) throws(NPYHeaderError) {
        let (length, offset) = try NPYHeader.prefixLengths(bytes)
        guard bytes.count >= offset + length else {
            throw .truncated("the header needs \(offset + length) bytes, the file has \(bytes.count)")
        }
        var parser = PythonLiteralParser(Array(bytes[offset..<(offset + length)]))
        guard case let .dictionary(entries) = try parser.parseWhole() else {
            throw .malformed("the header is not a dictionary")
        }
        let keys = entries.map(\.key)
        guard Set(keys) == ["descr", "fortran_order", "shape"], keys.count == 3 else {
            throw .malformed("the header must hold exactly the keys descr, fortran_order and shape, it holds "
                             + keys.map { "'\($0)'" }.joined(separator: ", "))
        }
        let value = Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0.value) })
        guard case let .string(descr) = value["descr"]! else {
            throw .unsupported("a structured dtype (only plain float64 and float32 arrays are read)")
        }
        guard let type = ElementType(rawValue: descr) else {
            throw .unsupported("dtype '\(descr)' (float64 '<f8' or '>f8', float32 '<f4' or '>f4' are read; "
                               + "convert with x.astype(np.float64))")
        }
        guard case let .bool(fortran) = value["fortran_order"]! else { throw .malformed("fortran_order must be True or False") }
        guard case let .tuple(items) = value["shape"]! else { throw .malformed("shape must be a tuple of integers") }
        var shape: [Int] = []
        for item in items {
            guard case let .integer(n) = item else { throw .malformed("shape must be a tuple of integers") }
            guard n >= 0 else { throw .malformed("the shape \(Self.describe(items)) has a negative dimension") }
            shape.append(n)
        }
        var bytesNeeded = type.size
        for n in shape {
            let (product, overflow) = bytesNeeded.multipliedReportingOverflow(by: n)
            guard !overflow, product <= Int(Int32.max) * Int(Int32.max) else {
                throw .malformed("the shape \(Self.describe(items)) is too large to be real")
            }
            bytesNeeded = product
        }
        elementType = type
        fortranOrder = fortran
        self.shape = shape
        dataOffset = offset + length
    }

    public init(elementType: ElementType, fortranOrder: Bool, shape: [Int], dataOffset: Int) {
        self.elementType = elementType
        self.fortranOrder = fortranOrder
        self.shape = shape
        self.dataOffset = dataOffset
    }

    private static func describe(_ items: [PythonLiteral]) -> String {
        "(" + items.map { if case let .integer(n) = $0 { return String(n) } else { return "?" } }.joined(separator: ", ") + ")"
    }

    /// The version 1.0 header of a float64 C-ordered rows × columns array, padded with spaces so
    /// that the data starts at a multiple of 64 bytes (version 2.0 if the dictionary needs it).
    public static func encoded(rows: Int, columns: Int) -> [UInt8] {
        let dictionary = "{'descr': '<f8', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        var text = Array(dictionary.utf8)
        let prefix = 10
        let padding = (64 - (prefix + text.count + 1) % 64) % 64
        text += [UInt8](repeating: 0x20, count: padding) + [0x0A]
        let length = UInt16(text.count)
        return magic + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + text
    }
}

/// What is wrong with a .npy header (the reader adds the file name).
public enum NPYHeaderError: Error, Equatable, CustomStringConvertible {
    case notNPY
    case truncated(String)
    case malformed(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .notNPY: return "it does not start with the .npy magic \"\\x93NUMPY\""
        case let .truncated(what): return "truncated: \(what)"
        case let .malformed(what): return "malformed header: \(what)"
        case let .unsupported(what): return "unsupported: \(what)"
        }
    }
}

/// The Python literals a .npy header dictionary uses.
enum PythonLiteral: Equatable {
    case string(String)
    case integer(Int)
    case bool(Bool)
    case none
    case tuple([PythonLiteral])
    case dictionary([(key: String, value: PythonLiteral)])

    static func == (a: PythonLiteral, b: PythonLiteral) -> Bool {
        switch (a, b) {
        case let (.string(x), .string(y)): return x == y
        case let (.integer(x), .integer(y)): return x == y
        case let (.bool(x), .bool(y)): return x == y
        case (.none, .none): return true
        case let (.tuple(x), .tuple(y)): return x == y
        case let (.dictionary(x), .dictionary(y)): return x.map(\.key) == y.map(\.key) && x.map(\.value) == y.map(\.value)
        default: return false
        }
    }
}

/// A recursive-descent parser of the literal subset above (lists parse as tuples).
struct PythonLiteralParser {
    private let bytes: [UInt8]
    private var position = 0
    private var depth = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func parseWhole() throws(NPYHeaderError) -> PythonLiteral {
        let value = try parseValue()
        skipSpace()
        guard position == bytes.count else { throw .malformed("unexpected text after the dictionary at byte \(position)") }
        return value
    }

    private mutating func skipSpace() {
        while position < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[position]) { position += 1 }
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        skipSpace()
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    private mutating func parseValue() throws(NPYHeaderError) -> PythonLiteral {
        skipSpace()
        guard position < bytes.count else { throw .malformed("the header dictionary ends early") }
        depth += 1
        defer { depth -= 1 }
        guard depth < 32 else { throw .malformed("the header is nested too deeply") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseDictionary()
        case UInt8(ascii: "("): return .tuple(try parseSequence(closing: UInt8(ascii: ")")))
        case UInt8(ascii: "["): return .tuple(try parseSequence(closing: UInt8(ascii: "]")))
        case UInt8(ascii: "'"), UInt8(ascii: "\""): return .string(try parseString())
        default: return try parseWord()
        }
    }

    private mutating func parseDictionary() throws(NPYHeaderError) -> PythonLiteral {
        position += 1
        var entries: [(key: String, value: PythonLiteral)] = []
        while !take(UInt8(ascii: "}")) {
            skipSpace()
            guard case let .string(key) = try parseValue() else { throw .malformed("a dictionary key is not a string") }
            guard take(UInt8(ascii: ":")) else { throw .malformed("expected ':' after '\(key)'") }
            guard !entries.contains(where: { $0.key == key }) else { throw .malformed("the key '\(key)' appears twice") }
            entries.append((key, try parseValue()))
            if take(UInt8(ascii: "}")) { break }
            guard take(UInt8(ascii: ",")) else { throw .malformed("expected ',' or '}' after the value of '\(key)'") }
        }
        return .dictionary(entries)
    }

    private mutating func parseSequence(closing: UInt8) throws(NPYHeaderError) -> [PythonLiteral] {
        position += 1
        var items: [PythonLiteral] = []
        while !take(closing) {
            items.append(try parseValue())
            if take(closing) { break }
            guard take(UInt8(ascii: ",")) else { throw .malformed("expected ',' in a tuple") }
        }
        return items
    }

    private mutating func parseString() throws(NPYHeaderError) -> String {
        let quote = bytes[position]
        position += 1
        let start = position
        while position < bytes.count, bytes[position] != quote {
            guard bytes[position] != UInt8(ascii: "\\"), bytes[position] != 0x0A else {
                throw .malformed("unsupported character in a header string")
            }
            position += 1
        }
        guard position < bytes.count else { throw .malformed("unterminated string in the header") }
        defer { position += 1 }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    private mutating func parseWord() throws(NPYHeaderError) -> PythonLiteral {
        let start = position
        while position < bytes.count, bytes[position] == UInt8(ascii: "-") || bytes[position] == UInt8(ascii: "_")
                || (bytes[position] >= 0x30 && bytes[position] <= 0x39)
                || (bytes[position] | 0x20 >= 0x61 && bytes[position] | 0x20 <= 0x7A) {
            position += 1
        }
        let word = String(decoding: bytes[start..<position], as: UTF8.self)
        switch word {
        case "True": return .bool(true)
        case "False": return .bool(false)
        case "None": return .none
        default:
            let digits = word.hasSuffix("L") ? String(word.dropLast()) : word
            guard !digits.isEmpty, let n = Int(digits) else {
                if digits.allSatisfy({ $0.isNumber || $0 == "-" }) && !digits.isEmpty {
                    throw .malformed("the integer \(word) in the header is too large")
                }
                throw .malformed("unexpected '\(word.isEmpty ? String(UnicodeScalar(bytes[start])) : word)' in the header")
            }
            return .integer(n)
        }
    }
}
