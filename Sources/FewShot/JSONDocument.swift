/// A JSON value that remembers the line it starts on, so that errors in a task file can name
/// the line to fix. Numbers keep full float64 precision (parsed by Swift's correctly rounded
/// `Double(_:)`, so a shortest round-trip decimal reads back bit for bit).
public indirect enum JSONValue: Sendable, Equatable {
    case object([(key: String, value: JSONDocument)])
    case array([JSONDocument])
    case number(Double)
    case string(String)
    case bool(Bool)
    case null

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case let (.object(a), .object(b)): return a.map(\.key) == b.map(\.key) && a.map(\.value) == b.map(\.value)
        case let (.array(a), .array(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.bool(a), .bool(b)): return a == b
        case (.null, .null): return true
        default: return false
        }
    }

    /// "an object", "an array", … for error messages.
    public var kindDescription: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .number: return "a number"
        case .string: return "a string"
        case .bool: return "true or false"
        case .null: return "null"
        }
    }
}

/// A JSON value with the line (1-based) where it starts.
public struct JSONDocument: Sendable, Equatable {
    public let value: JSONValue
    public let line: Int

    /// The member named `key` of an object, if any.
    public subscript(key: String) -> JSONDocument? {
        guard case let .object(members) = value else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// Parses JSON text. Syntax errors carry the line and column.
    public init(parsing text: String) throws(JSONSyntaxError) {
        var reader = JSONReader(Array(text.utf8))
        self = try reader.document()
        reader.skipWhitespace()
        if !reader.atEnd { throw reader.error("unexpected text after the JSON value") }
    }

    init(value: JSONValue, line: Int) {
        self.value = value
        self.line = line
    }
}

/// A JSON syntax error at a line and column.
public struct JSONSyntaxError: Error, Equatable, CustomStringConvertible {
    public let line: Int
    public let column: Int
    public let message: String

    public var description: String { "line \(line), column \(column): \(message)" }
}

/// A recursive-descent JSON reader over UTF-8 bytes (RFC 8259).
struct JSONReader {
    private let bytes: [UInt8]
    private var position = 0
    private var line = 1
    private var lineStart = 0
    private var depth = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { position >= bytes.count }

    func error(_ message: String) -> JSONSyntaxError {
        JSONSyntaxError(line: line, column: position - lineStart + 1, message: message)
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: "\n"):
                line += 1
                lineStart = position + 1
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                break
            default:
                return
            }
            position += 1
        }
    }

    mutating func document() throws(JSONSyntaxError) -> JSONDocument {
        skipWhitespace()
        guard position < bytes.count else { throw error("unexpected end of the file") }
        let startLine = line
        depth += 1
        defer { depth -= 1 }
        guard depth < 512 else { throw error("nested too deeply") }
        let value: JSONValue
        switch bytes[position] {
        case UInt8(ascii: "{"): value = try object()
        case UInt8(ascii: "["): value = try array()
        case UInt8(ascii: "\""): value = .string(try string())
        case UInt8(ascii: "t"): try literal("true"); value = .bool(true)
        case UInt8(ascii: "f"): try literal("false"); value = .bool(false)
        case UInt8(ascii: "n"): try literal("null"); value = .null
        default: value = .number(try number())
        }
        return JSONDocument(value: value, line: startLine)
    }

    private mutating func expect(_ character: Character) throws(JSONSyntaxError) {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == character.asciiValue! else {
            throw error("expected '\(character)'")
        }
        position += 1
    }

    private mutating func next(is character: Character) -> Bool {
        skipWhitespace()
        if position < bytes.count, bytes[position] == character.asciiValue! {
            position += 1
            return true
        }
        return false
    }

    private mutating func object() throws(JSONSyntaxError) -> JSONValue {
        position += 1
        var members: [(key: String, value: JSONDocument)] = []
        if next(is: "}") { return .object(members) }
        repeat {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw error("expected a key in quotes") }
            let key = try string()
            try expect(":")
            members.append((key, try document()))
        } while next(is: ",")
        try expect("}")
        return .object(members)
    }

    private mutating func array() throws(JSONSyntaxError) -> JSONValue {
        position += 1
        var elements: [JSONDocument] = []
        if next(is: "]") { return .array(elements) }
        repeat { elements.append(try document()) } while next(is: ",")
        try expect("]")
        return .array(elements)
    }

    private mutating func literal(_ word: String) throws(JSONSyntaxError) {
        let utf8 = Array(word.utf8)
        guard position + utf8.count <= bytes.count, Array(bytes[position..<(position + utf8.count)]) == utf8 else {
            throw error("unexpected character")
        }
        position += utf8.count
    }

    private mutating func number() throws(JSONSyntaxError) -> Double {
        let start = position
        let allowed = Set("+-0123456789.eE".utf8)
        while position < bytes.count, allowed.contains(bytes[position]) { position += 1 }
        guard position > start, let text = String(bytes: bytes[start..<position], encoding: .ascii),
              let value = Double(text) else {
            position = start
            throw error("expected a value (a number, a string, an object, an array, true, false or null)")
        }
        return value
    }

    private mutating func string() throws(JSONSyntaxError) -> String {
        position += 1
        var scalars = String.UnicodeScalarView()
        var run = position
        func flush(_ end: Int) { scalars.append(contentsOf: String(decoding: bytes[run..<end], as: UTF8.self).unicodeScalars) }
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: "\""):
                flush(position)
                position += 1
                return String(scalars)
            case UInt8(ascii: "\\"):
                flush(position)
                position += 1
                guard position < bytes.count else { break }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "u"):
                    guard position + 4 <= bytes.count,
                          let code = UInt32(String(decoding: bytes[position..<(position + 4)], as: UTF8.self), radix: 16)
                    else { throw error("malformed \\u escape") }
                    position += 4
                    scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                default: scalars.append(Unicode.Scalar(escape))
                }
                run = position
            case UInt8(ascii: "\n"):
                throw error("unterminated string")
            default:
                position += 1
            }
        }
        throw error("unterminated string")
    }
}
