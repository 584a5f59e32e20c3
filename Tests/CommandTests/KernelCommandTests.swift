import Foundation
import LinearAlgebra
import NTKBridgeCommands
import Reports
import TestSupport
import XCTest

/// `ntkbridge kernel`: the reference vectors through the command line, the output layout, and
/// every kind of bad input.
final class KernelCommandTests: XCTestCase {
    private var scratch: ScratchDirectory!

    override func setUpWithError() throws { scratch = try ScratchDirectory() }
    override func tearDown() { scratch.remove() }

    /// Runs the command in-process, as `ntkbridge ARGS` would.
    private func run(_ arguments: [String]) throws {
        var command = try NTKBridge.parseAsRoot(arguments)
        try command.run()
    }

    /// Substitutes the reference case's placeholders and returns the arguments.
    private func arguments(of c: KernelCase, out: String) throws -> [String] {
        let x1 = try scratch.write(c.x1, to: "\(c.name)-x1.csv")
        let x2 = try c.x2.map { try scratch.write($0, to: "\(c.name)-x2.csv") }
        return c.cli_args.map { arg in
            switch arg {
            case "{x1}": return x1
            case "{x2}": return x2 ?? arg
            case "{out}": return out
            default: return arg
            }
        }
    }

    func testEveryKernelReferenceCaseThroughTheCommandLine() throws {
        for c in try Fixtures.kernelCases() {
            let out = scratch.path("\(c.name)-out")
            try run(arguments(of: c, out: out))
            for kind in ["nngp", "ntk", "head", "body"] {
                let written = try Matrix(csvFile: "\(out)/\(kind).csv")
                XCTAssertEqual(written.rows, c.x1.rows, "\(c.name) \(kind): one row per --x1 point")
                let error = written.maxRelativeDifference(to: c.expected(kind))
                XCTAssertLessThanOrEqual(error, c.tolerance, "\(c.name) \(kind)")
                XCTAssertLessThan(error, c.tolerance <= 1e-9 ? 1e-13 : 1e-12, "\(c.name) \(kind)")
            }
        }
    }

    func testNpyFormatAndDepthFoldersFromOnePass() throws {
        var g = SeededGenerator(seed: 3)
        let x = try scratch.write(Matrix.randomNormal(rows: 7, columns: 3, using: &g), to: "x.csv")
        try run(["kernel", "--x1", x, "--depths", "1,3", "--activation", "erf", "--b-std", "0.1",
                 "--format", "npy", "--out", scratch.path("sweep")])
        XCTAssertEqual(scratch.contents().filter { $0.hasPrefix(".") }, [], "no temporary files left")
        for depth in [1, 3] {
            try run(["kernel", "--x1", x, "--depth", "\(depth)", "--activation", "erf", "--b-std", "0.1",
                     "--out", scratch.path("single-\(depth)")])
            for kind in ["nngp", "ntk", "head", "body"] {
                let fromSweep = try Matrix(npyFile: scratch.path("sweep/depth-\(depth)/\(kind).npy"))
                let single = try Matrix(csvFile: scratch.path("single-\(depth)/\(kind).csv"))
                XCTAssertEqual(fromSweep, single, "depth \(depth) \(kind): .npy and .csv carry the same bits")
            }
        }
    }

    func testTimingPrintsKernelSecondsWithoutOutputFolder() throws {
        let x = try scratch.write("1,2\n3,4\n", to: "x.csv")
        let result = try CommandRunner.run(["kernel", "--x1", x, "--depth", "2", "--activation", "relu", "--timing"],
                                           in: scratch.url)
        XCTAssertEqual(result.status, 0, result.standardError)
        let line = result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(line.hasPrefix("kernel_seconds: "), line)
        let seconds = try XCTUnwrap(Double(line.dropFirst("kernel_seconds: ".count)))
        XCTAssertTrue(seconds >= 0 && seconds < 10)
    }

    func testExistingOutputFolderIsUpdatedInPlace() throws {
        let x = try scratch.write("1,2\n3,4\n", to: "x.csv")
        let out = scratch.path("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try "keep".write(toFile: out + "/notes.txt", atomically: true, encoding: .utf8)
        try run(["kernel", "--x1", x, "--depth", "1", "--activation", "relu", "--out", out])
        let names = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        XCTAssertEqual(names, [".ntkbridge-manifest", "body.csv", "head.csv", "nngp.csv", "notes.txt", "ntk.csv"])
    }

    /// Each bad input: a non-zero exit, a message on stderr naming the file and line or the
    /// flag, and no output folder (nor temporary files) left behind.
    func testBadInputsAreRefusedWithAClearMessage() throws {
        let good = try scratch.write("1,2\n3,4\n", to: "good.csv")
        try scratch.write("1,2\n3\n", to: "ragged.csv")
        try scratch.write("# header\n1,2\n3,x\n", to: "text.csv")
        try scratch.write("1,nan\n", to: "nan.csv")
        try scratch.write("1,2\n-inf,1\n", to: "inf.csv")
        try scratch.write("1,2,3\n", to: "wide.csv")
        try scratch.write("# nothing\n\n", to: "empty.csv")
        let base = ["kernel", "--activation", "relu", "--depth", "2"]
        let cases: [(arguments: [String], expected: [String])] = [
            (base + ["--x1", "ragged.csv"], ["ragged.csv:2", "1 values", "2"]),
            (base + ["--x1", "text.csv"], ["text.csv:3", "column 2", "'x' is not a number"]),
            (base + ["--x1", "nan.csv"], ["nan.csv:1", "column 2", "not finite"]),
            (base + ["--x1", good, "--x2", "inf.csv"], ["inf.csv:2", "column 1", "not finite"]),
            (base + ["--x1", good, "--x2", "wide.csv"], ["--x2", "wide.csv", "3 columns", "--x1", "2"]),
            (base + ["--x1", "empty.csv"], ["empty.csv", "no data rows"]),
            (base + ["--x1", "missing.csv"], ["missing.csv", "cannot be read"]),
            (["kernel", "--x1", good, "--depth", "2", "--activation", "relux"], ["--activation", "relux", "leaky-relu"]),
            (["kernel", "--x1", good, "--depth", "2", "--activation", "leaky-relu:abc"], ["--activation", "leaky-relu:abc"]),
            (base + ["--x1", good, "--w-std", "-1"], ["--w-std", "≥ 0", "-1"]),
            (base + ["--x1", good, "--out-b-std", "-0.5"], ["--out-b-std"]),
            (["kernel", "--x1", good, "--depth", "0", "--activation", "relu"], ["--depth", "at least 1"]),
            (["kernel", "--x1", good, "--depths", "1,0,4", "--activation", "relu"], ["--depths", "'0'"]),
            (["kernel", "--x1", good, "--depth", "1", "--depths", "2", "--activation", "relu"], ["--depth", "--depths"]),
            (["kernel", "--x1", good, "--activation", "relu"], ["--depth", "--depths"]),
            (["kernel", "--x1", good, "--depth", "2", "--activation", "relu", "--format", "txt"], ["--format", "txt"]),
            (["kernel", "--x1", good, "--depth", "2", "--activation", "relu", "--parameterization", "standard"],
             ["--width"]),
            (["kernel", "--x1", good, "--depth", "2", "--activation", "tanh", "--quadrature", "simpson"], ["--quadrature"]),
        ]
        for (k, c) in cases.enumerated() {
            let out = "out-\(k)"
            var arguments = c.arguments
            if !arguments.contains("--timing") { arguments += ["--out", out] }
            let result = try CommandRunner.run(arguments, in: scratch.url)
            XCTAssertNotEqual(result.status, 0, "\(c.arguments) was accepted")
            for fragment in c.expected {
                XCTAssertTrue(result.standardError.contains(fragment),
                              "\(c.arguments): '\(fragment)' missing from: \(result.standardError)")
            }
            XCTAssertFalse(result.standardError.contains("Fatal error"), result.standardError)
            XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path(out)), "\(c.arguments) left \(out)")
        }
        XCTAssertEqual(scratch.contents().filter { $0.hasPrefix(".") }, [], "temporary files left behind")
    }

    /// An overflowing kernel is refused, not written as inf or NaN.
    func testOverflowIsRefusedWithoutOutput() throws {
        let x = try scratch.write("1e150,1\n2,3\n", to: "huge.csv")
        let result = try CommandRunner.run(["kernel", "--x1", x, "--depth", "400", "--activation", "relu",
                                            "--w-std", "40", "--out", "out"], in: scratch.url)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.standardError.contains("non-finite"), result.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("out")))
    }
}
