import FewShot
import Foundation
import Reports
import TestSupport
import XCTest

/// `--shard i/N` and `ntkbridge merge`: the merged shards are the unsharded run, byte for byte
/// in the data rows; shards of other sweeps, missing or unfinished shards, and malformed shard
/// specifications are refused with the reason.
final class ShardMergeTests: XCTestCase {
    private var scratch: ScratchDirectory!

    override func setUpWithError() throws { scratch = try ScratchDirectory() }
    override func tearDown() { scratch.remove() }

    /// 2 seeds × 3 depths = 6 points.
    private var closeness: [String] {
        ["closeness", "--family", "teacher", "--dim", "3", "--train-tasks", "4", "--test-tasks", "2", "--support", "3",
         "--query", "3", "--activation", "relu", "--depths", "1,3,6", "--inner-times", "0.01,1", "--head-correlations", "1",
         "--seeds", "2", "--seed", "3", "--no-figures"]
    }

    private func run(_ arguments: [String]) throws -> CommandRunner.Result {
        try CommandRunner.run(arguments, in: scratch.url)
    }

    private func succeed(_ arguments: [String]) throws {
        let result = try run(arguments)
        XCTAssertEqual(result.status, 0, "\(arguments.joined(separator: " ")): \(result.standardError)")
    }

    /// The lines of a CSV file that are not provenance comments.
    private func dataLines(_ path: String) throws -> [String] {
        try String(contentsOfFile: scratch.path(path), encoding: .utf8).split(separator: "\n").map(String.init)
            .filter { !$0.hasPrefix("#") }
    }

    private func shardClosenessRuns(count: Int, prefix: String, arguments: [String]? = nil) throws -> [String] {
        let folders = (0..<count).map { "\(prefix)\($0)" }
        for (i, folder) in folders.enumerated() {
            try succeed((arguments ?? closeness) + ["--shard", "\(i)/\(count)", "--out", scratch.path(folder)])
        }
        return folders.map(scratch.path)
    }

    func testShardedClosenessMergesToTheUnshardedRun() throws {
        try succeed(closeness + ["--out", scratch.path("full")])
        // 4 shards of 6 points: shards 0 and 1 take two points each, across both seeds.
        let folders = try shardClosenessRuns(count: 4, prefix: "s")
        let shard1 = try CSVTable.read(scratch.path("s1/closeness.csv"))
        XCTAssertEqual(Set(shard1.rows.map { "\($0[0]):\($0[1])" }), ["3:3", "4:6"], "points 1 and 5: seed 3 depth 3, seed 4 depth 6")
        let merged = try run(["merge"] + folders + ["--out", scratch.path("merged")])
        XCTAssertEqual(merged.status, 0, merged.standardError)
        XCTAssertTrue(merged.standardOutput.contains("4 shards merged"), merged.standardOutput)
        for file in ["closeness.csv", "summary.csv", "rates.csv", "local_slopes.csv"] {
            let full = try dataLines("full/" + file), joined = try dataLines("merged/" + file)
            XCTAssertGreaterThan(full.count, 1, file)
            XCTAssertEqual(joined, full, "\(file): the merged data rows are the unsharded run's, byte for byte")
        }
        let table = try CSVTable.read(scratch.path("merged/closeness.csv"))
        XCTAssertTrue(table.comments.contains("seeds: 3…4"))
        XCTAssertTrue(table.comments.contains { $0.hasPrefix("merged from: 0/4=") })
        XCTAssertEqual(table.comments.first { $0.hasPrefix("configuration: ") },
                       try CSVTable.read(scratch.path("full/closeness.csv")).comments.first { $0.hasPrefix("configuration: ") })
    }

    /// A shard resumes on its own: its finished points are kept, an interrupted one is redone.
    func testShardResumesOnItsOwn() throws {
        let folders = try shardClosenessRuns(count: 2, prefix: "r")
        let path = scratch.path("r1/closeness.csv")
        var text = try String(contentsOfFile: path, encoding: .utf8)
        let row = text.split(separator: "\n").first { $0.hasPrefix("3,3,") }!
        var cells = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        cells[12] = "0.123456"
        text = text.replacingOccurrences(of: String(row), with: cells.joined(separator: ","))
        try String(text.dropLast(30)).write(toFile: path, atomically: true, encoding: .utf8)   // cut seed 4's last row
        let incomplete = try run(["merge"] + folders + ["--out", scratch.path("m")])
        XCTAssertNotEqual(incomplete.status, 0)
        XCTAssertTrue(incomplete.standardError.contains("shard 1/2") && incomplete.standardError.contains("unfinished"),
                      incomplete.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("m")), "no partial merge")
        let resumed = try run(closeness + ["--shard", "1/2", "--out", scratch.path("r1")])
        XCTAssertEqual(resumed.status, 0, resumed.standardError)
        XCTAssertTrue(resumed.standardError.contains("already in"), resumed.standardError)
        let table = try CSVTable.read(path)
        XCTAssertTrue(table.values(of: "head_share").contains("0.123456"), "the finished seed was kept")
        XCTAssertEqual(table.rows.count, 3 * 2 * 1 * 2, "3 points × λτ × ρ × methods")
        try succeed(["merge"] + folders + ["--out", scratch.path("m")])
    }

    func testMismatchedMissingAndDuplicateShardsAreRefused() throws {
        let folders = try shardClosenessRuns(count: 3, prefix: "a")
        let other = try shardClosenessRuns(count: 3, prefix: "b", arguments: closeness.map { $0 == "0.01,1" ? "0.01,2" : $0 })
        let cases: [([String], [String])] = [
            ([folders[0], folders[2]], ["shard 1/3 is missing"]),
            ([folders[0], folders[1], folders[2], folders[2]], ["shard 2/3 is given twice"]),
            ([folders[0], other[1], folders[2]], ["inner-times", "0.01,1", "0.01,2"]),
            ([folders[0], folders[1]] + [scratch.path("nowhere")], ["nowhere", "no such folder"]),
        ]
        for (inputs, expected) in cases {
            let result = try run(["merge"] + inputs + ["--out", scratch.path("m")])
            XCTAssertNotEqual(result.status, 0, inputs.joined(separator: " "))
            for text in expected { XCTAssertTrue(result.standardError.contains(text), result.standardError) }
            XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("m")))
        }
        let twoShards = try shardClosenessRuns(count: 2, prefix: "c")
        let counts = try run(["merge", folders[0], twoShards[1], folders[1], folders[2], "--out", scratch.path("m")])
        XCTAssertTrue(counts.standardError.contains("the number of shards N"), counts.standardError)
        let intoShard = try run(["merge"] + folders + ["--out", folders[1]])
        XCTAssertNotEqual(intoShard.status, 0)
        XCTAssertTrue(intoShard.standardError.contains("is the shard folder"), intoShard.standardError)
        // A shard folder is not reused for another shard.
        let reuse = try run(closeness + ["--shard", "2/3", "--out", folders[0]])
        XCTAssertNotEqual(reuse.status, 0)
        XCTAssertTrue(reuse.standardError.contains("holds shard 0/3"), reuse.standardError)
    }

    /// More shards than points: the extra shards have nothing to do and merge all the same.
    func testMoreShardsThanPoints() throws {
        var small = closeness.map { $0 == "1,3,6" ? "1,3" : $0 }   // 1 seed × 2 depths
        small[small.firstIndex(of: "--seeds")! + 1] = "1"
        try succeed(small + ["--out", scratch.path("full")])
        let folders = (0..<3).map { scratch.path("e\($0)") }
        for (i, folder) in folders.enumerated() { try succeed(small + ["--shard", "\(i)/3", "--out", folder]) }
        try succeed(["merge"] + folders + ["--out", scratch.path("merged")])
        XCTAssertEqual(try dataLines("merged/closeness.csv"), try dataLines("full/closeness.csv"))
    }

    func testMalformedShardIsRefusedWithTheReason() throws {
        let cases = [("0/0", "N must be at least 1"), ("-1/2", "0 ≤ i < N"), ("2/2", "got i = 2"), ("1/-3", "at least 1"),
                     ("1", "not a shard i/N"), ("a/b", "not a shard i/N"), ("1/2/3", "not a shard i/N")]
        for (spec, reason) in cases {
            let result = try run(closeness + ["--shard=\(spec)", "--out", scratch.path("x")])
            XCTAssertNotEqual(result.status, 0, spec)
            XCTAssertTrue(result.standardError.contains("--shard") && result.standardError.contains(reason),
                          "\(spec): \(result.standardError)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("x/closeness.csv")))
        }
    }

    /// Convergence: 2 widths × 2 seeds over 3 shards. Wall-clock timings (training_seconds,
    /// seconds_per_step) differ between any two runs; every other data row is byte-identical.
    func testShardedConvergenceMergesToTheUnshardedRun() throws {
        let taskFile = try scratch.writeSmallTeacherTasks(to: "t.json")
        let arguments = ["convergence", "--tasks", taskFile, "--methods", "mtl,anil", "--seeds", "2", "--widths", "16,32",
                         "--depth", "2", "--activation", "relu", "--inner", "discrete", "--inner-rate", "0.1", "--inner-steps", "2",
                         "--meta-rate", "0.05", "--meta-steps", "3", "--no-figures"]
        try succeed(arguments + ["--out", scratch.path("full")])
        let folders = (0..<3).map { scratch.path("c\($0)") }
        for (i, folder) in folders.enumerated() { try succeed(arguments + ["--shard", "\(i)/3", "--out", folder]) }
        try succeed(["merge"] + folders + ["--out", scratch.path("merged")])
        func comparable(_ line: String) -> String {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            guard cells.count == 5, ["training_seconds", "seconds_per_step"].contains(cells[3]) else { return line }
            return cells.dropLast().joined(separator: ",") + ",<seconds>"
        }
        let full = try dataLines("full/convergence.csv"), merged = try dataLines("merged/convergence.csv")
        XCTAssertEqual(full.count, 1 + 4 * (2 + 2 * 6 + 1), "header + width×seed × (kernels + methods × quantities + pair)")
        XCTAssertEqual(merged.map(comparable), full.map(comparable))
        XCTAssertEqual(try dataLines("merged/summary.csv"), try dataLines("full/summary.csv"))
    }

    /// Cost: the runs (seed, method) are the points; the merged curves and runs are the unsharded
    /// run's apart from the wall-clock and CPU seconds, and a resumed shard skips the runs it has
    /// trained.
    func testShardedCostMergesAndResumes() throws {
        let taskFile = try scratch.writeSmallTeacherTasks(to: "t.json")
        let arguments = ["cost", "--tasks", taskFile, "--width", "16", "--depth", "2", "--activation", "relu", "--inner", "discrete",
                         "--inner-rate", "0.1", "--inner-steps", "2", "--meta-rate", "0.05", "--meta-steps", "4",
                         "--test-loss-every", "2", "--repeats", "2", "--no-figures"]
        try succeed(arguments + ["--out", scratch.path("full")])
        let folders = (0..<3).map { scratch.path("k\($0)") }
        for (i, folder) in folders.enumerated() { try succeed(arguments + ["--shard", "\(i)/3", "--out", folder]) }
        let again = try run(arguments + ["--shard", "0/3", "--out", folders[0]])
        XCTAssertTrue(again.standardError.contains("already in"), again.standardError)
        try succeed(["merge"] + folders + ["--out", scratch.path("merged")])
        // The columns that measure time (wall or CPU) differ from run to run; every other cell must match.
        func withoutSeconds(_ lines: [String]) -> [String] {
            guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false) else { return lines }
            let timed = Set(header.indices.filter { header[$0].contains("seconds") })
            return lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).enumerated()
                .filter { !timed.contains($0.offset) }.map { String($0.element) }.joined(separator: ",") }
        }
        let full = try dataLines("full/curves.csv")
        XCTAssertEqual(Set(full.dropFirst().map { $0.prefix { $0 != "," } }), ["mtl", "anil", "maml", "fomaml"])
        XCTAssertEqual(Set(full.dropFirst().map { $0.split(separator: ",")[1] }), ["0", "1"], "two repeats")
        XCTAssertEqual(withoutSeconds(try dataLines("merged/curves.csv")), withoutSeconds(full))
        XCTAssertEqual(withoutSeconds(try dataLines("merged/runs.csv")), withoutSeconds(try dataLines("full/runs.csv")))
        XCTAssertEqual(withoutSeconds(try dataLines("merged/cost.csv")), withoutSeconds(try dataLines("full/cost.csv")))
        XCTAssertEqual(try CSVTable.read(scratch.path("merged/cost.csv")).values(of: "method"), ["mtl", "anil", "maml", "fomaml"])
    }
}
