import LinearAlgebra

/// A single-pass reader of well-formed JSON task files straight into matrices: no tree of JSON
/// values, numbers converted in place by the correctly rounded `DecimalParser`. It accepts
/// exactly what the general reader accepts when nothing is wrong and returns nil at the first
/// surprise (a syntax error, a missing key, ragged rows, a repeated key …), so that the general
/// reader, which locates problems by line and JSON path, produces the message.
struct TaskFileFastPath {
    private let bytes: UnsafePointer<UInt8>
    private let end: Int
    private var position = 0

    init(bytes: UnsafePointer<UInt8>, count: Int) {
        self.bytes = bytes
        end = count
    }

    /// The task lists, or nil if the general reader must look.
    mutating func read() -> (train: [FewShotTask], test: [FewShotTask])? {
        var train: [FewShotTask]?, test: [FewShotTask]?
        guard objectMembers({ key, reader in
            switch key {
            case "train":
                guard train == nil, let tasks = reader.taskList(requireQueryLabels: true) else { return false }
                train = tasks
            case "test":
                guard test == nil, let tasks = reader.taskList(requireQueryLabels: false) else { return false }
                test = tasks
            default:
                return reader.skipValue(depth: 0)
            }
            return true
        }) else { return nil }
        skipWhitespace()
        guard position == end, let train, let test else { return nil }
        return (train, test)
    }

    // MARK: structure

    private mutating func taskList(requireQueryLabels: Bool) -> [FewShotTask]? {
        var tasks: [FewShotTask] = []
        guard arrayElements({ reader in
            guard let task = reader.task(requireQueryLabels: requireQueryLabels) else { return false }
            tasks.append(task)
            return true
        }) else { return nil }
        return tasks
    }

    private mutating func task(requireQueryLabels: Bool) -> FewShotTask? {
        var support: (x: Matrix?, y: Matrix?)?, query: (x: Matrix?, y: Matrix?)?
        guard objectMembers({ key, reader in
            switch key {
            case "support":
                guard support == nil, let part = reader.part() else { return false }
                support = part
            case "query":
                guard query == nil, let part = reader.part() else { return false }
                query = part
            default:
                return reader.skipValue(depth: 0)
            }
            return true
        }) else { return nil }
        guard let support, let sx = support.x, let sy = support.y, let query, let qx = query.x else { return nil }
        if requireQueryLabels && query.y == nil { return nil }
        return FewShotTask(supportInputs: sx, supportLabels: sy, queryInputs: qx, queryLabels: query.y)
    }

    private mutating func part() -> (x: Matrix?, y: Matrix?)? {
        var x: Matrix?, y: Matrix?
        guard objectMembers({ key, reader in
            switch key {
            case "x":
                guard x == nil, let m = reader.matrix() else { return false }
                x = m
            case "y":
                guard y == nil, let m = reader.matrix() else { return false }
                y = m
            default:
                return reader.skipValue(depth: 0)
            }
            return true
        }) else { return nil }
        return (x, y)
    }

    /// A non-empty array of equally long, non-empty arrays of finite numbers.
    private mutating func matrix() -> Matrix? {
        var elements: [Double] = []
        var width: Int?, rows = 0
        guard arrayElements({ reader in
            let before = elements.count
            guard reader.arrayElements({ reader in
                guard let value = reader.number() else { return false }
                elements.append(value)
                return true
            }) else { return false }
            let count = elements.count - before
            guard count > 0, width == nil || width == count else { return false }
            width = count
            rows += 1
            return true
        }), let width, rows > 0 else { return nil }
        return Matrix(rows: rows, columns: width, elements: elements)
    }

    // MARK: tokens

    private mutating func skipWhitespace() {
        while position < end {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard position < end, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    /// Calls `member(key, &self)` for each member of an object; false if anything is amiss.
    private mutating func objectMembers(_ member: (String, inout TaskFileFastPath) -> Bool) -> Bool {
        guard take(UInt8(ascii: "{")) else { return false }
        if take(UInt8(ascii: "}")) { return true }
        repeat {
            skipWhitespace()
            guard let key = plainString(), take(UInt8(ascii: ":")), member(key, &self) else { return false }
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "}"))
    }

    private mutating func arrayElements(_ element: (inout TaskFileFastPath) -> Bool) -> Bool {
        guard take(UInt8(ascii: "[")) else { return false }
        if take(UInt8(ascii: "]")) { return true }
        repeat {
            guard element(&self) else { return false }
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "]"))
    }

    /// A string without escapes (keys of task files); nil otherwise.
    private mutating func plainString() -> String? {
        guard position < end, bytes[position] == UInt8(ascii: "\"") else { return nil }
        let start = position + 1
        var p = start
        while p < end, bytes[p] != UInt8(ascii: "\"") {
            if bytes[p] == UInt8(ascii: "\\") || bytes[p] < 0x20 { return nil }
            p += 1
        }
        guard p < end else { return nil }
        position = p + 1
        return String(decoding: UnsafeBufferPointer(start: bytes + start, count: p - start), as: UTF8.self)
    }

    private mutating func number() -> Double? {
        skipWhitespace()
        let start = position
        var p = position
        while p < end {
            let c = bytes[p]
            guard (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
                    || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") else { break }
            p += 1
        }
        guard p > start, let value = DecimalParser.finiteValue(bytes + start, count: p - start) else { return nil }
        position = p
        return value
    }

    /// Skips any JSON value (the general reader checks what is skipped if this path fails).
    private mutating func skipValue(depth: Int) -> Bool {
        guard depth < 512 else { return false }
        skipWhitespace()
        guard position < end else { return false }
        switch bytes[position] {
        case UInt8(ascii: "{"):
            return objectMembers { _, reader in reader.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            return arrayElements { reader in reader.skipValue(depth: depth + 1) }
        case UInt8(ascii: "\""):
            var p = position + 1
            while p < end, bytes[p] != UInt8(ascii: "\"") { p += bytes[p] == UInt8(ascii: "\\") ? 2 : 1 }
            guard p < end else { return false }
            position = p + 1
            return true
        default:
            for word in ["true", "false", "null"] where matches(word) {
                position += word.utf8.count
                return true
            }
            return number() != nil
        }
    }

    private func matches(_ word: String) -> Bool {
        let utf8 = Array(word.utf8)
        guard position + utf8.count <= end else { return false }
        return (0..<utf8.count).allSatisfy { bytes[position + $0] == utf8[$0] }
    }
}
