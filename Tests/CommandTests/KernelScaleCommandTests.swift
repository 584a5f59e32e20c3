import Foundation
import LinearAlgebra
import NTKBridgeCommands
import Reports
import TestSupport
import XCTest

/// `kernel` at scale: --kernels, .npy input, --rows, --memory-limit (bit for bit equal to the
/// in-memory result), and requests too big for memory or disk refused before any work.
final class KernelScaleCommandTests: XCTestCase {
    private var scratch: ScratchDirectory!

    override func setUpWithError() throws { scratch = try ScratchDirectory() }
    override func tearDown() { scratch.remove() }

    private func run(_ arguments: [String]) throws -> CommandRunner.Result {
        try CommandRunner.run(arguments, in: scratch.url)
    }

    private func bits(_ path: String) throws -> [UInt64] { try Matrix(npyFile: path).elements.map(\.bitPattern) }

    func testMemoryLimitRowsAndKernelsGiveTheWholeMatrixBits() throws {
        var g = SeededGenerator(seed: 21)
        let x = try scratch.write(Matrix.randomNormal(rows: 2000, columns: 2, using: &g), to: "x.csv")
        let common = ["kernel", "--x1", x, "--depth", "2", "--activation", "relu", "--format", "npy"]
        var result = try run(common + ["--out", scratch.path("whole")])
        XCTAssertEqual(result.status, 0, result.standardError)
        // 2000 rows of one 2000-column kernel take 32 MB: a 40 MiB limit computes about 400 rows
        // per block (the rest is reserved for inputs, buffers and the runtime).
        result = try run(common + ["--kernels", "ntk,body", "--memory-limit", "40MiB", "--out", scratch.path("blocks")])
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path("blocks")).filter { !$0.hasPrefix(".") }.sorted(),
                       ["body.npy", "ntk.npy"])
        for kind in ["ntk", "body"] {
            XCTAssertEqual(try bits(scratch.path("blocks/\(kind).npy")), try bits(scratch.path("whole/\(kind).npy")), kind)
        }
        result = try run(common + ["--kernels", "ntk", "--rows", "1003:1111", "--out", scratch.path("rows")])
        XCTAssertEqual(result.status, 0, result.standardError)
        let rows = try Matrix(npyFile: scratch.path("rows/ntk.npy"))
        XCTAssertEqual(rows.rows, 108)
        XCTAssertEqual(rows.elements.map(\.bitPattern),
                       try Matrix(npyFile: scratch.path("whole/ntk.npy")).rows(1003..<1111).elements.map(\.bitPattern))
    }

    func testNPYInputGivesTheSameKernelsAsText() throws {
        var g = SeededGenerator(seed: 22)
        let m = Matrix.randomNormal(rows: 9, columns: 3, using: &g)
        let csv = try scratch.write(m, to: "x.csv")
        let npy = scratch.path("x.npy")
        try MatrixFileFormat.npy.write(m, to: npy)
        for (input, out) in [(csv, "a"), (npy, "b")] {
            let result = try run(["kernel", "--x1", input, "--x2", input, "--depth", "3", "--activation", "erf",
                                  "--format", "npy", "--out", scratch.path(out)])
            XCTAssertEqual(result.status, 0, result.standardError)
        }
        XCTAssertEqual(try bits(scratch.path("a/ntk.npy")), try bits(scratch.path("b/ntk.npy")))
    }

    func testOversizeRequestsAreRefusedBeforeAnyWork() throws {
        // 200 000 one-dimensional points: four 200 000² kernels need 1.28 TB.
        let x = try scratch.write(String(repeating: "1\n", count: 200_000), to: "x.csv")
        var result = try run(["kernel", "--x1", x, "--depth", "1", "--activation", "relu", "--out", scratch.path("o")])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.standardError.contains("of memory") && result.standardError.contains("--memory-limit"),
                      result.standardError)
        // With a memory limit it fits in memory, but 320 GB of .npy do not fit on this disk.
        result = try run(["kernel", "--x1", x, "--depth", "1", "--activation", "relu", "--format", "npy",
                          "--memory-limit", "1GiB", "--out", scratch.path("o")])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.standardError.contains("of disk") && result.standardError.contains("--rows"), result.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("o")))
        XCTAssertEqual(scratch.contents().filter { $0.hasPrefix(".") }, [], "no staging left behind")
        result = try run(["kernel", "--x1", x, "--depth", "1", "--activation", "relu", "--memory-limit", "100MiB", "--timing"])
        XCTAssertTrue(result.standardError.contains("is too small"), result.standardError)
    }

    func testBadFlagValuesAreRefused() throws {
        let x = try scratch.write("1,2\n3,4\n", to: "x.csv")
        for (flags, message) in [(["--kernels", "ntk,nngpp"], "'ntk,nngpp' is invalid for '--kernels"),
                                 (["--rows", "1:1"], "need 0 ≤ a < b ≤ 2"), (["--rows", "x"], "is not a range"),
                                 (["--memory-limit", "lots"], "is not a size")] {
            let result = try run(["kernel", "--x1", x, "--depth", "1", "--activation", "relu", "--timing"] + flags)
            XCTAssertNotEqual(result.status, 0)
            XCTAssertTrue(result.standardError.contains(message), result.standardError)
        }
    }
}
