import FewShot
import LinearAlgebra

/// Which background characters training tasks are drawn from.
public enum OmniglotBackground: String, Sendable, CaseIterable {
    /// The union of both minimal splits (Greek and Latin, in both, counted once): 242 characters.
    case both
    case small1, small2

    var splits: [OmniglotSplit] {
        switch self {
        case .both: return [.small1, .small2]
        case .small1: return [.small1]
        case .small2: return [.small2]
        }
    }
}

/// The test tasks of an Omniglot task set.
public enum OmniglotTest: Sendable, Equatable {
    /// Lake et al.'s 20 runs, in order (20-way 1-shot, 20 queries each).
    case runs
    /// `episodes` C-way K-shot tasks with Q queries per class from the alphabets of the other
    /// minimal split that the training split lacks.
    case heldOut(episodes: Int)
}

/// Few-shot classification tasks from Omniglot (theory.md §2 with one-hot labels).
///
/// A training task takes C distinct background characters in random order; character c of the
/// task (label c, one-hot over C outputs) contributes K + Q drawings by distinct drawers, the
/// first K to the support set and the other Q to the query set (support and query rows are
/// ordered by label, then drawing). Training task i is drawn from stream 1 + i of the seed and
/// held-out episode j from stream 1 000 001 + j, as for the other task families, so a task
/// never depends on how many are drawn. Inputs are `OmniglotImage` feature vectors (d = S²).
public struct OmniglotTaskFamily: Sendable {
    public let directory: String
    public let imageSize: Int
    public let ways: Int
    public let support: Int
    public let query: Int
    public let background: OmniglotBackground
    public let test: OmniglotTest

    public static let runsArchiveName = "all_runs.zip"
    /// Drawers per character in Omniglot.
    public static let drawers = 20

    /// Checks the settings that do not depend on the data.
    public init(directory: String, imageSize: Int, ways: Int, support: Int, query: Int,
                background: OmniglotBackground = .both, test: OmniglotTest = .runs) throws(DatasetError) {
        guard OmniglotImage.sizes.contains(imageSize) else {
            throw .invalidSetting(parameter: "imageSize", message: "must divide 105 and exceed 1 (one of "
                + OmniglotImage.sizes.map(String.init).joined(separator: ", ") + "), got \(imageSize)")
        }
        guard ways >= 2 else { throw .invalidSetting(parameter: "ways", message: "must be at least 2, got \(ways)") }
        guard support >= 1 else { throw .invalidSetting(parameter: "support", message: "must be at least 1, got \(support)") }
        guard query >= 1 else { throw .invalidSetting(parameter: "query", message: "must be at least 1, got \(query)") }
        guard support + query <= Self.drawers else {
            throw .invalidSetting(parameter: "support + query", message: "must be at most \(Self.drawers) (each character has "
                + "\(Self.drawers) drawers and a task uses distinct ones), got \(support) + \(query) = \(support + query)")
        }
        switch test {
        case .runs:
            guard ways == OmniglotRun.ways else {
                throw .invalidSetting(parameter: "ways", message: "must be \(OmniglotRun.ways) with the one-shot runs as test tasks "
                    + "(they are 20-way and the label width is shared), got \(ways)")
            }
        case let .heldOut(episodes):
            guard episodes >= 1 else { throw .invalidSetting(parameter: "episodes", message: "must be at least 1, got \(episodes)") }
            guard background != .both else {
                throw .invalidSetting(parameter: "test", message: "held-out episodes need the training characters from one split "
                    + "(small1 or small2); with both, no background alphabet is held out")
            }
        }
        self.directory = directory
        self.imageSize = imageSize
        self.ways = ways
        self.support = support
        self.query = query
        self.background = background
        self.test = test
    }

    /// Draws `trainTasks` training tasks and the test tasks; reads only the archives needed.
    public func tasks(trainTasks: Int, seed: UInt64) throws -> TaskSet {
        let (train, test) = try episodes(trainTasks: trainTasks, seed: seed)
        let episodes = train + test
        let features = try OmniglotFeatureTable(entries: episodes.flatMap(\.entries), imageSize: imageSize, directory: directory)
        let tasks = episodes.map { $0.task(features: features, ways: ways) }
        return try TaskSet(train: Array(tasks[..<train.count]), test: Array(tasks[train.count...]))
    }

    /// The drawings of the training and test tasks that `tasks(trainTasks:seed:)` builds, by
    /// archive entry, without decoding them.
    public func episodes(trainTasks: Int, seed: UInt64) throws(DatasetError) -> (train: [OmniglotEpisode], test: [OmniglotEpisode]) {
        guard trainTasks >= 1 else { throw .invalidSetting(parameter: "trainTasks", message: "must be at least 1, got \(trainTasks)") }
        var archives = OmniglotArchiveSet(directory: directory)
        var characters: [String: OmniglotCharacter] = [:]
        for split in background.splits {
            for character in try OmniglotCharacterIndex.characters(in: try archives.split(split), split: split) {
                let key = "\(character.alphabet)/\(character.name)"
                if characters[key] == nil { characters[key] = character }
            }
        }
        let pool = characters.keys.sorted().map { characters[$0]! }
        try requireCharacters(pool, for: "background " + background.rawValue)
        let sampler = EpisodeSampler(ways: ways, support: support, query: query)
        let train = (0..<trainTasks).map { i in
            var generator = SeededGenerator(seed: seed, stream: 1 + UInt64(i))
            return sampler.draw(from: pool, using: &generator)
        }
        switch test {
        case .runs:
            var runs: [OmniglotEpisode] = []
            for number in 1...OmniglotRun.count {
                runs.append(OmniglotEpisode(run: try OmniglotRun.read(number: number, from: try archives.runs())))
            }
            return (train, runs)
        case let .heldOut(count):
            let trainSplit = background.splits[0], heldSplit = trainSplit.other
            let known = Set(pool.map(\.alphabet))
            let held = try OmniglotCharacterIndex.characters(in: try archives.split(heldSplit), split: heldSplit)
                .filter { !known.contains($0.alphabet) }
            try requireCharacters(held, for: "held-out alphabets of \(heldSplit.rawValue)")
            return (train, (0..<count).map { j in
                var generator = SeededGenerator(seed: seed, stream: 1_000_001 + UInt64(j))
                return sampler.draw(from: held, using: &generator)
            })
        }
    }

    /// The feature vectors (`OmniglotImage`, S = `imageSize`) of archive entries, as rows.
    public func features(of entries: [String]) throws(DatasetError) -> Matrix {
        try OmniglotFeatureTable(entries: entries, imageSize: imageSize, directory: directory).matrix(entries)
    }

    private func requireCharacters(_ pool: [OmniglotCharacter], for name: String) throws(DatasetError) {
        guard ways <= pool.count else {
            throw .invalidSetting(parameter: "ways", message: "must be at most \(pool.count), the number of characters in the \(name), got \(ways)")
        }
        if let short = pool.first(where: { $0.drawings.count < support + query }) {
            throw .invalidSetting(parameter: "support + query", message: "must be at most \(short.drawings.count): character "
                + "\(short.alphabet)/\(short.name) has only that many drawings")
        }
    }
}

/// The archives of the data folder, opened on first use.
struct OmniglotArchiveSet {
    let directory: String
    private var opened: [String: ZipArchive] = [:]

    init(directory: String) { self.directory = directory }

    mutating func archive(named name: String) throws(DatasetError) -> ZipArchive {
        if let archive = opened[name] { return archive }
        let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        let archive = try ZipArchive(path: path)
        opened[name] = archive
        return archive
    }

    mutating func split(_ split: OmniglotSplit) throws(DatasetError) -> ZipArchive { try archive(named: split.archiveName) }
    mutating func runs() throws(DatasetError) -> ZipArchive { try archive(named: OmniglotTaskFamily.runsArchiveName) }

    /// The archive an entry belongs to, from its top folder.
    mutating func archive(holding entry: String) throws(DatasetError) -> ZipArchive {
        for split in OmniglotSplit.allCases where entry.hasPrefix(split.folder) { return try self.split(split) }
        return try runs()
    }
}

/// One episode before decoding: the archive entries of its support and query drawings, with
/// their labels (the character's position in the task; for a run, class NN is label NN − 1).
public struct OmniglotEpisode: Sendable, Equatable {
    public var supportEntries: [String], supportLabels: [Int]
    public var queryEntries: [String], queryLabels: [Int]

    public var entries: [String] { supportEntries + queryEntries }

    public init(supportEntries: [String], supportLabels: [Int], queryEntries: [String], queryLabels: [Int]) {
        self.supportEntries = supportEntries
        self.supportLabels = supportLabels
        self.queryEntries = queryEntries
        self.queryLabels = queryLabels
    }

    init(run: OmniglotRun) {
        self.init(supportEntries: run.supportEntries, supportLabels: Array(0..<run.supportEntries.count),
                  queryEntries: run.queryEntries, queryLabels: run.queryLabels)
    }

    func task(features: OmniglotFeatureTable, ways: Int) -> FewShotTask {
        func oneHot(_ labels: [Int]) -> Matrix {
            var y = Matrix(rows: labels.count, columns: ways)
            for (i, label) in labels.enumerated() { y[i, label] = 1 }
            return y
        }
        return FewShotTask(supportInputs: features.matrix(supportEntries), supportLabels: oneHot(supportLabels),
                           queryInputs: features.matrix(queryEntries), queryLabels: oneHot(queryLabels))
    }
}

/// Draws C-way K-shot episodes with Q queries per class from a character pool.
struct EpisodeSampler {
    let ways: Int, support: Int, query: Int

    func draw(from pool: [OmniglotCharacter], using generator: inout SeededGenerator) -> OmniglotEpisode {
        var order = Array(pool.indices)
        order.shuffle(using: &generator)
        var episode = OmniglotEpisode(supportEntries: [], supportLabels: [], queryEntries: [], queryLabels: [])
        for (label, index) in order.prefix(ways).enumerated() {
            var drawings = pool[index].drawings
            drawings.shuffle(using: &generator)
            episode.supportEntries += drawings.prefix(support)
            episode.supportLabels += Array(repeating: label, count: support)
            episode.queryEntries += drawings.dropFirst(support).prefix(query)
            episode.queryLabels += Array(repeating: label, count: query)
        }
        return episode
    }
}
