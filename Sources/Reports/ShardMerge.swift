import Foundation

/// Joins the folders of the N shards of one sweep (see `SweepShard`): checks that they are the
/// shards 0…N−1 of one configuration, each complete, and returns the data rows in the order of
/// the points, which is the order of the unsharded run's rows.
public enum ShardMerge {
    /// A shard folder and its manifest.
    public struct Shard: Sendable {
        public let folder: String
        public let manifest: ShardManifest
    }

    /// The shards in `folders`, ordered by index, after checking that they are all the shards of
    /// one sweep of `command`.
    public static func shards(_ folders: [String]) throws -> [Shard] {
        let shards = try folders.map { folder -> Shard in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ShardError.notAShard(folder: folder, reason: "no such folder")
            }
            guard let manifest = try ShardManifest.read(folder: folder) else {
                throw ShardError.notAShard(folder: folder, reason: "it has no \(ShardManifest.fileName) (it was not written by a sweep run on one shard i/N)")
            }
            return Shard(folder: folder, manifest: manifest)
        }
        guard let first = shards.first else { throw ShardError.notAShard(folder: "(none)", reason: "no folder given") }
        for other in shards.dropFirst() {
            if let (setting, mine, theirs) = first.manifest.difference(from: other.manifest) {
                throw ShardError.mismatched(setting: setting, first: first.folder, firstValue: mine,
                                            second: other.folder, secondValue: theirs)
            }
        }
        let count = first.manifest.shard.count
        let byIndex = Dictionary(grouping: shards) { $0.manifest.shard.index }
        if let (index, twice) = byIndex.first(where: { $0.value.count > 1 }) {
            throw ShardError.duplicate(shard: index, count: count, folders: twice.map(\.folder))
        }
        let missing = (0..<count).filter { byIndex[$0] == nil }
        guard missing.isEmpty else { throw ShardError.missing(shards: missing, count: count) }
        return shards.sorted { $0.manifest.shard.index < $1.manifest.shard.index }
    }

    /// The data rows of every shard's `table`, in point order. `point` gives a row's point index
    /// (nil: a row of no point of the sweep); `complete` tells whether the rows of one point are
    /// all there (an interrupted point is recomputed when its shard resumes).
    public static func rows(of shards: [Shard], table name: String, columns: [String],
                            point: ([String]) -> Int?, complete: (Int, [[String]]) -> Bool) throws -> [[String]] {
        var byPoint: [Int: [[String]]] = [:]
        for shard in shards {
            let path = shard.folder + "/" + name
            guard FileManager.default.fileExists(atPath: path) else {
                if shard.manifest.ownPoints.isEmpty { continue }   // more shards than points: nothing to do
                throw ShardError.unfinished(folder: shard.folder, shard: "\(shard.manifest.shard)", donePoints: 0,
                                            points: shard.manifest.ownPoints.count)
            }
            let table = try CSVTable.read(path)
            guard table.columns == columns else {
                throw ShardError.notAShard(folder: shard.folder, reason: "\(path) has columns \(table.columns.joined(separator: ",")), "
                                           + "expected \(columns.joined(separator: ","))")
            }
            var own: [Int: [[String]]] = [:]
            for (k, row) in table.rows.enumerated() {
                guard let p = point(row), p >= 0, p < shard.manifest.points else {
                    throw ShardError.foreignRow(folder: shard.folder, row: k + 1, reason: "is not a point of the sweep")
                }
                guard shard.manifest.shard.owns(p) else {
                    throw ShardError.foreignRow(folder: shard.folder, row: k + 1,
                                                reason: "is point \(p), which belongs to shard \(p % shard.manifest.shard.count)")
                }
                own[p, default: []].append(row)
            }
            let done = shard.manifest.ownPoints.filter { p in own[p].map { complete(p, $0) } ?? false }
            guard done.count == shard.manifest.ownPoints.count else {
                throw ShardError.unfinished(folder: shard.folder, shard: "\(shard.manifest.shard)", donePoints: done.count,
                                            points: shard.manifest.ownPoints.count)
            }
            byPoint.merge(own) { a, _ in a }
        }
        return (0..<(shards.first?.manifest.points ?? 0)).flatMap { byPoint[$0] ?? [] }
    }
}
