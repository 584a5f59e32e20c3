import Foundation

/// The Omniglot files the task family reads, in one folder: the two minimal background splits
/// and Lake et al.'s 20 one-shot runs, as distributed.
public enum OmniglotSplit: String, Sendable, CaseIterable {
    case small1, small2

    public var archiveName: String { "images_background_\(rawValue).zip" }
    /// The top folder of the archive's entries.
    var folder: String { "images_background_\(rawValue)/" }
    public var other: OmniglotSplit { self == .small1 ? .small2 : .small1 }
}

/// One character of a background split: its drawings by 20 different people.
public struct OmniglotCharacter: Sendable, Equatable {
    public let alphabet: String
    /// The character's folder name (`character07`).
    public let name: String
    public let split: OmniglotSplit
    /// Entry paths of its drawings, sorted (one per drawer: `…/0108_01.png` … `0108_20.png`).
    public let drawings: [String]
}

/// A background split's characters, read from its archive's entry names.
enum OmniglotCharacterIndex {
    static func characters(in archive: ZipArchive, split: OmniglotSplit) throws(DatasetError) -> [OmniglotCharacter] {
        var drawings: [String: [String]] = [:]
        for entry in archive.entryNames where entry.hasPrefix(split.folder) && entry.hasSuffix(".png") {
            let parts = entry.dropFirst(split.folder.count).split(separator: "/")
            guard parts.count == 3 else {
                throw .invalidEntry(archive: archive.path, entry: entry, reason: "is not of the form \(split.folder)alphabet/character/drawing.png")
            }
            drawings["\(parts[0])/\(parts[1])", default: []].append(entry)
        }
        guard !drawings.isEmpty else {
            throw .invalidEntry(archive: archive.path, entry: split.folder, reason: "holds no drawings (expected alphabet/character/drawing.png)")
        }
        return drawings.keys.sorted().map { key in
            let parts = key.split(separator: "/")
            return OmniglotCharacter(alphabet: String(parts[0]), name: String(parts[1]), split: split, drawings: drawings[key]!.sorted())
        }
    }
}

/// One of the 20 within-alphabet 20-way one-shot runs: one drawing per class and 20 queries.
public struct OmniglotRun: Sendable, Equatable {
    /// `run01` … `run20`.
    public let name: String
    /// `runNN/training/class01.png` … `class20.png`: class c is label c − 1.
    public let supportEntries: [String]
    /// `runNN/test/item01.png` … `item20.png`.
    public let queryEntries: [String]
    /// The label (0…19) of each query, from `runNN/class_labels.txt`.
    public let queryLabels: [Int]

    public static let count = 20
    public static let ways = 20

    /// Reads run `number` (1…20) from the runs archive.
    static func read(number: Int, from archive: ZipArchive) throws(DatasetError) -> OmniglotRun {
        let name = "run" + twoDigits(number)
        let support = (1...ways).map { "\(name)/training/class\(twoDigits($0)).png" }
        let queries = (1...ways).map { "\(name)/test/item\(twoDigits($0)).png" }
        let labelsEntry = "\(name)/class_labels.txt"
        let text = String(decoding: try archive.contents(of: labelsEntry), as: UTF8.self)
        var labelOf: [String: Int] = [:]
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count == 2, queries.contains(fields[0]), let label = support.firstIndex(of: fields[1]) else {
                throw .invalidEntry(archive: archive.path, entry: labelsEntry,
                                    reason: "line \(number + 1): expected '\(name)/test/itemNN.png \(name)/training/classNN.png'")
            }
            labelOf[fields[0]] = label
        }
        var labels: [Int] = []
        for query in queries {
            guard let label = labelOf[query] else {
                throw .invalidEntry(archive: archive.path, entry: labelsEntry, reason: "gives no class for \(query)")
            }
            labels.append(label)
        }
        return OmniglotRun(name: name, supportEntries: support, queryEntries: queries, queryLabels: labels)
    }

    private static func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}
