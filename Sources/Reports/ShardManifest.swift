import Foundation

/// The record of which sweep a shard folder belongs to: `DIR/shard.txt`, written when a shard
/// starts and checked when it resumes and when shards are merged. One `key: value` per line.
///
/// - `sweep` lists the swept values in the order that enumerates the points (`seeds=0…3
///   depths=1,4,16`); `points` is their number.
/// - `configuration` is the sweep's canonical flag description (the one its tables carry).
/// - `facts` are what the merge needs to rebuild the summaries without recomputing anything
///   (figure titles, the analytic MTL–ANIL distance, …).
public struct ShardManifest: Sendable, Equatable {
    public static let fileName = "shard.txt"

    public var command: String
    public var shard: SweepShard
    public var points: Int
    public var sweep: String
    public var configuration: String
    public var facts: [String: String]

    public init(command: String, shard: SweepShard, points: Int, sweep: String, configuration: String,
                facts: [String: String] = [:]) {
        self.command = command
        self.shard = shard
        self.points = points
        self.sweep = sweep
        self.configuration = configuration
        self.facts = facts
    }

    /// The points of the sweep that this shard computes.
    public var ownPoints: [Int] { shard.points(of: points) }

    public var text: String {
        var lines = ["# ntkbridge shard manifest: written by --shard, read when the shard resumes and by `ntkbridge merge`",
                     "command: \(command)", "shard: \(shard)", "points: \(points)", "sweep: \(sweep)",
                     "configuration: \(configuration)"]
        lines += facts.keys.sorted().map { "fact \($0): \(facts[$0]!)" }
        return lines.joined(separator: "\n") + "\n"
    }

    public func write(inFolder folder: String) throws {
        try AtomicOutput.write(Data(text.utf8), to: folder + "/" + Self.fileName)
    }

    /// The manifest of `folder`, or nil if it has none.
    public static func read(folder: String) throws -> ShardManifest? {
        let path = folder + "/" + fileName
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ShardError.notAShard(folder: folder, reason: "\(path) cannot be read")
        }
        var fields: [String: String] = [:], facts: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let colon = line.range(of: ": ") else {
                throw ShardError.notAShard(folder: folder, reason: "\(path): the line '\(line)' is not 'key: value'")
            }
            let key = String(line[..<colon.lowerBound]), value = String(line[colon.upperBound...])
            if key.hasPrefix("fact ") { facts[String(key.dropFirst(5))] = value } else { fields[key] = value }
        }
        func field(_ key: String) throws -> String {
            guard let value = fields[key] else { throw ShardError.notAShard(folder: folder, reason: "\(path) has no '\(key):' line") }
            return value
        }
        let shard: SweepShard
        do { shard = try SweepShard(parsing: try field("shard")) } catch let error as ShardError {
            throw ShardError.notAShard(folder: folder, reason: "\(path): shard: \(error)")
        }
        guard let points = Int(try field("points")), points >= 0 else {
            throw ShardError.notAShard(folder: folder, reason: "\(path): points is not a count")
        }
        return ShardManifest(command: try field("command"), shard: shard, points: points, sweep: try field("sweep"),
                             configuration: try field("configuration"), facts: facts)
    }

    /// The first setting in which the two manifests describe different sweeps (the shard index
    /// aside), as (name, this value, other value), or nil if they are shards of one sweep.
    public func difference(from other: ShardManifest) -> (setting: String, mine: String, theirs: String)? {
        if command != other.command { return ("the command", command, other.command) }
        if shard.count != other.shard.count { return ("the number of shards N", "\(shard.count)", "\(other.shard.count)") }
        for (mine, theirs) in [(sweep, other.sweep), (configuration, other.configuration)] where mine != theirs {
            return Self.firstDifference(mine, theirs)
        }
        for key in Set(facts.keys).union(other.facts.keys).sorted() where facts[key] != other.facts[key] {
            return (key, facts[key] ?? "-", other.facts[key] ?? "-")
        }
        if points != other.points { return ("the number of points", "\(points)", "\(other.points)") }
        return nil
    }

    /// The first `key=value` word that differs between two descriptions.
    private static func firstDifference(_ a: String, _ b: String) -> (String, String, String) {
        let wordsA = a.split(separator: " ").map(String.init), wordsB = b.split(separator: " ").map(String.init)
        func pair(_ word: String) -> (String, String) {
            guard let eq = word.firstIndex(of: "=") else { return (word, "") }
            return (String(word[..<eq]), String(word[word.index(after: eq)...]))
        }
        for k in 0..<max(wordsA.count, wordsB.count) {
            let (keyA, valueA) = k < wordsA.count ? pair(wordsA[k]) : ("-", "-")
            let (keyB, valueB) = k < wordsB.count ? pair(wordsB[k]) : ("-", "-")
            if keyA == keyB, valueA != valueB { return (keyA, valueA, valueB) }
            if keyA != keyB { return ("the setting list", a, b) }
        }
        return ("the setting list", a, b)
    }

    /// Prepares `folder` for this shard: a folder that holds another shard, another sweep or an
    /// unsharded run (`table` without a manifest) is refused; otherwise the manifest is written.
    public func claim(folder: String, table: String) throws {
        if let existing = try Self.read(folder: folder) {
            if existing.shard != shard {
                throw ShardError.folderInUse(folder: folder, reason: "holds shard \(existing.shard), not \(shard)")
            }
            if let (setting, mine, theirs) = difference(from: existing) {
                throw ShardError.folderInUse(folder: folder, reason: "holds a shard of another sweep (\(setting) is '\(theirs)' there, "
                                             + "'\(mine)' here)")
            }
        } else if FileManager.default.fileExists(atPath: folder + "/" + table) {
            throw ShardError.folderInUse(folder: folder, reason: "holds an unsharded run (\(table) without \(Self.fileName))")
        }
        try write(inFolder: folder)
    }
}
