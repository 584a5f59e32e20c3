import Foundation
import NTKBridgeCommands
import Reports
import TestSupport
import XCTest

/// `ntkbridge closeness`: files, provenance, resuming, and refused flags.
final class ClosenessCommandTests: XCTestCase {
    private var scratch: ScratchDirectory!

    override func setUpWithError() throws { scratch = try ScratchDirectory() }
    override func tearDown() { scratch.remove() }

    private var base: [String] {
        ["closeness", "--family", "teacher", "--dim", "4", "--train-tasks", "5", "--test-tasks", "3", "--support", "4",
         "--query", "4", "--activation", "relu", "--depths", "1,4,16", "--inner-times", "0.001,0.1,10",
         "--head-correlations", "1,0", "--out", scratch.path("sweep")]
    }

    func testSweepWritesTablesWithProvenanceAndFigures() throws {
        let result = try CommandRunner.run(base + ["--seeds", "2", "--seed", "5"], in: scratch.url)
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertTrue(result.standardOutput.contains("depth slope at λτ = 0.001") && result.standardOutput.contains("ANIL"), result.standardOutput)
        XCTAssertTrue(result.standardError.contains("closeness"), "progress on stderr")
        let table = try CSVTable.read(scratch.path("sweep/closeness.csv"))
        XCTAssertEqual(table.rows.count, 2 * 3 * 3 * 2 * 2, "seeds × depths × λτ × ρ × methods")
        XCTAssertEqual(Set(table.values(of: "seed")), ["5", "6"])
        XCTAssertTrue(table.comments.contains { $0.hasPrefix("ntkbridge \(ToolkitVersion.current)") })
        XCTAssertTrue(table.comments.contains { $0.hasPrefix("command: ") && $0.contains("--inner-times") })
        XCTAssertTrue(table.comments.contains("seeds: 5…6"))
        let summary = try CSVTable.read(scratch.path("sweep/summary.csv"))
        XCTAssertEqual(summary.rows.count, 3 * 3 * 2 * 2)
        XCTAssertTrue(summary.values(of: "seeds").allSatisfy { $0 == "2" })
        XCTAssertTrue(summary.values(of: "depth_slope").allSatisfy { Double($0) != nil }, "each cell carries its fitted slopes")
        XCTAssertTrue(summary.values(of: "inner_time_slope").allSatisfy { Double($0) != nil })
        let rates = try CSVTable.read(scratch.path("sweep/rates.csv"))
        XCTAssertEqual(rates.rows.count, 2 * 2 * (3 + 3), "per ρ and method: one fit per λτ and one per depth")
        XCTAssertTrue(rates.values(of: "slope").allSatisfy { Double($0) != nil })
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch.path("sweep/local_slopes.csv")))
        for name in ["distance_vs_depth_anil_rho1.0", "distance_vs_inner_time_maml_rho0.0"] {
            let png = try Data(contentsOf: URL(fileURLWithPath: scratch.path("sweep/\(name).png")))
            XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47], "\(name).png is a PNG")
            let svg = try String(contentsOfFile: scratch.path("sweep/\(name).svg"), encoding: .utf8)
            XCTAssertTrue(svg.contains("<svg") && svg.contains("slope"), "\(name).svg")
        }
    }

    /// Seeds already in closeness.csv are not recomputed: a marked row survives a resumed run that
    /// adds a seed, and a line cut off by an interruption is dropped and its seed redone.
    func testInterruptedSweepResumes() throws {
        XCTAssertEqual(try CommandRunner.run(base, in: scratch.url).status, 0)
        let path = scratch.path("sweep/closeness.csv")
        var text = try String(contentsOfFile: path, encoding: .utf8)
        let firstRow = text.split(separator: "\n").first { !$0.hasPrefix("#") && !$0.hasPrefix("seed") }!
        var cells = firstRow.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        cells[12] = "0.123456"   // a head share no computation would give
        text = text.replacingOccurrences(of: firstRow, with: cells.joined(separator: ","))
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let resumed = try CommandRunner.run(base + ["--seeds", "2"], in: scratch.url)
        XCTAssertEqual(resumed.status, 0, resumed.standardError)
        XCTAssertTrue(resumed.standardError.contains("already in"), resumed.standardError)
        let table = try CSVTable.read(path)
        XCTAssertTrue(table.values(of: "head_share").contains("0.123456"), "seed 0 was recomputed")
        XCTAssertEqual(table.rows.count, 2 * 36)
        // Cut the file in the middle of a seed-1 row: seed 1 is redone, seed 0 kept.
        let full = try String(contentsOfFile: path, encoding: .utf8)
        try String(full.dropLast(40)).write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try CommandRunner.run(base + ["--seeds", "2"], in: scratch.url).status, 0)
        let repaired = try CSVTable.read(path)
        XCTAssertEqual(repaired.rows.count, 2 * 36)
        XCTAssertTrue(repaired.values(of: "head_share").contains("0.123456"))
        // Other flags: refused, nothing overwritten.
        let other = try CommandRunner.run(base.map { $0 == "1,4,16" ? "1,4" : $0 }, in: scratch.url)
        XCTAssertNotEqual(other.status, 0)
        XCTAssertTrue(other.standardError.contains("another configuration"), other.standardError)
        XCTAssertEqual(try CSVTable.read(path).rows.count, 2 * 36)
    }

    func testRefusedFlags() throws {
        let cases: [([String], String)] = [
            (["--inner", "ridge"], "--inner"),
            (["--inner-times", "0.1,0"], "--inner-times"),
            (["--head-correlations", "2"], "--head-correlations"),
            (["--methods", "anil,reptile"], "--methods"),
            (["--test-adaptation", "newton"], "--test-adaptation"),
            (["--depths", "0,2"], "--depths"),
            (["--family", "cubes"], "--family"),
        ]
        for (extra, flag) in cases {
            var arguments = base
            for (k, word) in extra.enumerated() where k % 2 == 0 {
                if let i = arguments.firstIndex(of: word) { arguments[i + 1] = extra[k + 1] } else { arguments += [word, extra[k + 1]] }
            }
            let result = try CommandRunner.run(arguments, in: scratch.url)
            XCTAssertNotEqual(result.status, 0, "\(extra) accepted")
            XCTAssertTrue(result.standardError.contains(flag), "\(extra): \(result.standardError)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("sweep/closeness.csv")))
        }
    }
}
