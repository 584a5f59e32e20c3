import Foundation

/// The settings that decide a resumable sweep's rows, as ordered `name=value` pairs, kept in the
/// table's `configuration:` comment. A sweep resumes only when every setting matches; an input
/// file enters by the hash of its content (`ContentHash`), never by its path, so a regenerated
/// file is a different setting and a moved one is the same.
public struct SweepSettings: Equatable, Sendable {
    public struct Setting: Equatable, Sendable {
        public let name: String
        public let value: String
    }

    /// A setting whose value differs between two runs (nil: absent from that run).
    public struct Difference: Equatable, Sendable {
        public let name: String
        public let previous: String?
        public let current: String?
    }

    public let settings: [Setting]

    public init(_ pairs: [(String, String)]) {
        settings = pairs.map { Setting(name: $0.0, value: $0.1) }
    }

    /// `name=value name=value …`, spaces and `%` in values percent-escaped.
    public var text: String {
        settings.map { "\($0.name)=" + $0.value.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: " ", with: "%20") }
            .joined(separator: " ")
    }

    /// Parses `text` (the inverse of `text`); words without `=` are kept under their own name.
    public init(text: String) {
        settings = text.split(separator: " ").map { word in
            let parts = word.split(separator: "=", maxSplits: 1).map(String.init)
            let value = parts.count > 1 ? parts[1] : ""
            return Setting(name: parts[0], value: value.replacingOccurrences(of: "%20", with: " ").replacingOccurrences(of: "%25", with: "%"))
        }
    }

    /// The settings that differ from `previous`, in this run's order, then those only `previous` had.
    public func differences(from previous: SweepSettings) -> [Difference] {
        let old = Dictionary(previous.settings.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        let new = Dictionary(settings.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        var result = settings.filter { old[$0.name] != $0.value }.map { Difference(name: $0.name, previous: old[$0.name], current: $0.value) }
        result += previous.settings.filter { new[$0.name] == nil }.map { Difference(name: $0.name, previous: $0.value, current: nil) }
        return result
    }
}

/// A resumable table that cannot be resumed by this run.
public enum ResumeError: Error, CustomStringConvertible, Equatable {
    /// The table was computed with other settings (each difference named).
    case settingsDiffer(path: String, differences: [SweepSettings.Difference])
    /// The table has other columns (another command or version wrote it).
    case columnsDiffer(path: String, found: [String])

    public var description: String { description(naming: { $0 }) }

    /// The message with each setting named by `name` (the command layer passes flags).
    public func description(naming name: (String) -> String) -> String {
        switch self {
        case let .settingsDiffer(path, differences):
            let listed = differences.prefix(4).map { d in
                "\(name(d.name)) was \(d.previous ?? "not set") and is now \(d.current ?? "not set")"
            }.joined(separator: "; ")
            return "\(path) holds a run with another configuration (\(listed))"
        case let .columnsDiffer(path, found):
            return "\(path) has the columns \(found.joined(separator: ",")), not those of this sweep"
        }
    }
}

extension CSVTable {
    /// Opens the table at `path` to resume a sweep with `settings`, or a new empty table if there
    /// is none; throws `ResumeError` naming every differing setting.
    public static func resuming(_ path: String, columns: [String], settings: SweepSettings,
                                comments: [String]) throws -> CSVTable {
        guard FileManager.default.fileExists(atPath: path) else { return CSVTable(columns: columns, comments: comments) }
        let existing = try CSVTable.read(path)
        guard existing.columns == columns else { throw ResumeError.columnsDiffer(path: path, found: existing.columns) }
        let prefix = "configuration: "
        let previous = SweepSettings(text: existing.comments.first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) } ?? "")
        let differences = settings.differences(from: previous)
        guard differences.isEmpty else { throw ResumeError.settingsDiffer(path: path, differences: differences) }
        return CSVTable(columns: columns, comments: comments, rows: existing.rows)
    }
}

/// A 64-bit FNV-1a hash of a file's bytes, as `fnv1a64:<16 hex digits>`: enough to tell a
/// regenerated input from the one a sweep was started on (not a cryptographic digest).
public enum ContentHash {
    public static func of(file path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw OutputError.cannotWrite(path: path, reason: "cannot read it to identify its content")
        }
        return of(data)
    }

    public static func of(_ data: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return "fnv1a64:" + String(format: "%016llx", hash)
    }
}
