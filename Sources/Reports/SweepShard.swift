/// One of N shards of a sweep: the sweep's points are enumerated in a fixed order (the order of
/// the rows the unsharded run writes), and shard i takes the points whose index p satisfies
/// p ≡ i (mod N). Each shard runs on its own (a job of a scheduler's array), resumes on its own,
/// and `ShardMerge` joins the shard folders into what the unsharded run writes.
public struct SweepShard: Sendable, Equatable, CustomStringConvertible {
    /// i, counted from 0.
    public let index: Int
    /// N, the number of shards.
    public let count: Int

    /// The whole sweep as one shard (0/1).
    public static let whole = SweepShard(uncheckedIndex: 0, count: 1)

    public init(index: Int, count: Int) throws {
        guard count >= 1 else { throw ShardError.countNotPositive(count) }
        guard index >= 0, index < count else { throw ShardError.indexOutOfRange(index: index, count: count) }
        self.init(uncheckedIndex: index, count: count)
    }

    private init(uncheckedIndex index: Int, count: Int) {
        (self.index, self.count) = (index, count)
    }

    /// Parses `i/N` (two decimal integers, 0 ≤ i < N).
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0].trimmingCharacters(in: .whitespaces)),
              let n = Int(parts[1].trimmingCharacters(in: .whitespaces)) else {
            throw ShardError.malformed(text)
        }
        try self.init(index: i, count: n)
    }

    /// Whether point `p` of the enumeration belongs to this shard.
    public func owns(_ point: Int) -> Bool { point % count == index }

    /// The points of `0..<total` that belong to this shard, in order.
    public func points(of total: Int) -> [Int] { Array(stride(from: index, to: total, by: count)) }

    public var isWhole: Bool { count == 1 }

    public var description: String { "\(index)/\(count)" }
}

/// Why a shard specification or a set of shard folders was refused.
public enum ShardError: Error, CustomStringConvertible, Equatable {
    case malformed(String)
    case countNotPositive(Int)
    case indexOutOfRange(index: Int, count: Int)
    /// A folder holds no shard manifest (or an unreadable one).
    case notAShard(folder: String, reason: String)
    /// Shards of different sweeps: `setting` differs between `first` and `second` folder.
    case mismatched(setting: String, first: String, firstValue: String, second: String, secondValue: String)
    case missing(shards: [Int], count: Int)
    case duplicate(shard: Int, count: Int, folders: [String])
    case unfinished(folder: String, shard: String, donePoints: Int, points: Int)
    /// A data row that does not belong to its shard's points.
    case foreignRow(folder: String, row: Int, reason: String)
    /// The shard folder is in use for another shard or another sweep.
    case folderInUse(folder: String, reason: String)

    public var description: String {
        switch self {
        case let .malformed(text):
            return "'\(text)' is not a shard i/N (expected two integers such as 0/4, with 0 ≤ i < N)"
        case let .countNotPositive(n):
            return "the number of shards N must be at least 1, got \(n)"
        case let .indexOutOfRange(i, n):
            return "the shard index i must satisfy 0 ≤ i < N = \(n), got i = \(i) (shards are numbered 0…\(n - 1))"
        case let .notAShard(folder, reason):
            return "\(folder) is not a shard folder: \(reason)"
        case let .mismatched(setting, first, firstValue, second, secondValue):
            return "the shards come from different sweeps: \(setting) is '\(firstValue)' in \(first) but '\(secondValue)' in \(second)"
        case let .missing(shards, n):
            return "shard\(shards.count == 1 ? "" : "s") \(shards.map { "\($0)/\(n)" }.joined(separator: ", ")) "
                + "\(shards.count == 1 ? "is" : "are") missing (give one folder for each of the shards 0…\(n - 1))"
        case let .duplicate(shard, n, folders):
            return "shard \(shard)/\(n) is given twice: \(folders.joined(separator: " and "))"
        case let .unfinished(folder, shard, done, points):
            return "shard \(shard) in \(folder) is unfinished (\(done) of its \(points) points done); "
                + "run the same command again to resume it, then merge"
        case let .foreignRow(folder, row, reason):
            return "\(folder): data row \(row) \(reason)"
        case let .folderInUse(folder, reason):
            return "\(folder) \(reason); choose another output folder or remove it"
        }
    }
}
