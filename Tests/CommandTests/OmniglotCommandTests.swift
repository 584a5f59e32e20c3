import FewShot
import Foundation
import LinearAlgebra
import NTKBridgeCommands
import Reports
import TestSupport
import XCTest

/// `tasks --family omniglot`, `baseline` and `evaluate` through the executable: files written,
/// scores printed, and every refusal leaving nothing behind.
final class OmniglotCommandTests: XCTestCase {
    private var scratch: ScratchDirectory!

    override func setUpWithError() throws { scratch = try ScratchDirectory() }
    override func tearDown() { scratch.remove() }

    private func omniglot(_ data: String = OmniglotFixtures.directory, size: String = "7", ways: String = "20",
                          support: String = "1", query: String = "1", extra: [String] = [], out: String = "t.json") -> [String] {
        ["tasks", "--family", "omniglot", "--data", data, "--image-size", size, "--train-tasks", "3", "--ways", ways,
         "--support", support, "--query", query, "--seed", "4"] + extra + ["--out", scratch.path(out)]
    }

    func testTasksBaselineAndEvaluate() throws {
        let tasks = try CommandRunner.run(omniglot(), in: scratch.url)
        XCTAssertEqual(tasks.status, 0, tasks.standardError)
        let taskSet = try TaskSet(taskFile: scratch.path("t.json"))
        XCTAssertEqual([taskSet.train.count, taskSet.test.count, taskSet.inputDimension, taskSet.labelWidth], [3, 20, 49, 20])

        let baseline = try CommandRunner.run(["baseline", "--tasks", scratch.path("t.json"), "--method", "nearest-neighbour",
                                              "--out", scratch.path("p.csv")], in: scratch.url)
        XCTAssertEqual(baseline.status, 0, baseline.standardError)
        let evaluated = try CommandRunner.run(["evaluate", "--tasks", scratch.path("t.json"), "--predictions", scratch.path("p.csv"),
                                               "--out", scratch.path("e.csv")], in: scratch.url)
        XCTAssertEqual(evaluated.status, 0, evaluated.standardError)
        let table = try CSVTable.read(scratch.path("e.csv"))
        XCTAssertEqual(table.columns, ["task", "accuracy", "mse"])
        let accuracy = table.values(of: "accuracy").map { Double($0)! }
        XCTAssertEqual(accuracy.count, 20)
        // One-hot predictions: MSE = 2·(1 − accuracy)/C on every task.
        for (a, m) in zip(accuracy, table.values(of: "mse").map { Double($0)! }) { XCTAssertEqual(m, 2 * (1 - a) / 20, accuracy: 1e-15) }
        let mean = accuracy.reduce(0, +) / 20
        XCTAssertTrue(evaluated.standardOutput.contains("accuracy \(mean) ± "), evaluated.standardOutput)
        XCTAssertTrue(evaluated.standardOutput.hasPrefix("tasks 20\n"))
    }

    /// Predictions equal to the query labels score 1; predictions of one task's labels shifted
    /// by one class score 0.
    func testEvaluateOnHandMadePredictions() throws {
        XCTAssertEqual(try CommandRunner.run(omniglot(size: "3"), in: scratch.url).status, 0)
        let taskSet = try TaskSet(taskFile: scratch.path("t.json"))
        var perfect = taskSet.test.map { $0.queryLabels! }
        try PredictionFile.write(perfect, to: scratch.path("perfect.csv"))
        let right = try CommandRunner.run(["evaluate", "--tasks", scratch.path("t.json"), "--predictions", scratch.path("perfect.csv")],
                                          in: scratch.url)
        XCTAssertEqual(right.standardOutput, "tasks 20\naccuracy 1.0 ± 0.0 (95% CI)\nmse 0.0 ± 0.0 (95% CI)\n")
        let y = perfect[0]
        perfect[0] = Matrix(rowArrays: (0..<y.rows).map { i in (0..<20).map { y[i, ($0 + 1) % 20] } })
        try PredictionFile.write(perfect, to: scratch.path("shifted.csv"))
        let shifted = try CommandRunner.run(["evaluate", "--tasks", scratch.path("t.json"), "--predictions", scratch.path("shifted.csv"),
                                             "--out", scratch.path("e.csv")], in: scratch.url)
        XCTAssertEqual(shifted.status, 0, shifted.standardError)
        let table = try CSVTable.read(scratch.path("e.csv"))
        XCTAssertEqual(table.values(of: "accuracy").prefix(2), ["0.0", "1.0"])
        XCTAssertEqual(table.values(of: "mse").prefix(2), ["0.1", "0.0"])
        // Accuracies {0, 1 × 19}: mean 0.95, sample standard deviation √(0.95·0.05·20/19), half-width 1.96·s/√20.
        let halfWidth = 1.96 * (0.95 * 0.05 * 20 / 19).squareRoot() / 20.0.squareRoot()
        let printed = shifted.standardOutput.split(separator: "\n")[1].split(separator: " ")
        XCTAssertEqual(Double(printed[1])!, 0.95, accuracy: 1e-15)
        XCTAssertEqual(Double(printed[3])!, halfWidth, accuracy: 1e-15)
    }

    /// A task set far beyond memory is refused before any archive is read, with the size needed
    /// and the flags to reduce; nothing is written.
    func testOversizeRequestRefusedUpFront() throws {
        for out in ["t.json", "t.npz"] {
            var arguments = omniglot(scratch.path("no-archives-here"), size: "105", out: out)
            arguments[arguments.firstIndex(of: "--train-tasks")! + 1] = "1000000000"
            let result = try CommandRunner.run(arguments, in: scratch.url)
            XCTAssertNotEqual(result.status, 0)
            for needle in ["of memory", "reduce --train-tasks"] {
                XCTAssertTrue(result.standardError.contains(needle), "\(needle) not in: \(result.standardError)")
            }
            XCTAssertFalse(result.standardError.contains("no such archive"), result.standardError)
            XCTAssertEqual(scratch.contents(), [])
        }
    }

    func testRefusalsWriteNothing() throws {
        let damaged = scratch.path("damaged")
        try FileManager.default.createDirectory(atPath: damaged, withIntermediateDirectories: true)
        try OmniglotFixtures.copyArchives(to: damaged)
        try ZipSurgery.replace(entry: "run02/training/class05.png", in: damaged + "/all_runs.zip", with: [0x89, 0x50, 0x4e, 0x47, 1, 2, 3])
        let truncated = scratch.path("truncated")
        try FileManager.default.createDirectory(atPath: truncated, withIntermediateDirectories: true)
        try OmniglotFixtures.copyArchives(to: truncated)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: truncated + "/images_background_small2.zip"))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated + "/images_background_small2.zip"))
        let cases: [([String], [String])] = [
            (omniglot(scratch.path("nowhere")), ["nowhere/images_background_small1.zip", "no such archive"]),
            (omniglot(truncated), ["truncated/images_background_small2.zip", "not a readable zip archive"]),
            (omniglot(damaged), ["damaged/all_runs.zip", "entry run02/training/class05.png", "not a readable PNG"]),
            (omniglot(size: "20"), ["--image-size", "3, 5, 7, 15, 21, 35, 105", "got 20"]),
            (omniglot(ways: "243", extra: ["--background", "small2", "--test", "held-out:2"]),
             ["--ways", "at most 156", "got 243"]),
            (omniglot(support: "12", query: "9"), ["--support + --query", "at most 20"]),
            (omniglot(ways: "5"), ["--ways", "must be 20", "runs"]),
            (omniglot(extra: ["--test", "held-out:x"]), ["--test", "held-out:M"]),
            (omniglot(extra: ["--background", "small3"]), ["--background", "small3"]),
            (omniglot(extra: ["--test-tasks", "3"]), ["--test-tasks"]),
            (["evaluate", "--tasks", scratch.path("missing.json"), "--predictions", scratch.path("p.csv"), "--out", scratch.path("e.csv")],
             ["missing.json"]),
        ]
        for (arguments, needles) in cases {
            let result = try CommandRunner.run(arguments, in: scratch.url)
            XCTAssertNotEqual(result.status, 0, arguments.joined(separator: " "))
            for needle in needles {
                XCTAssertTrue(result.standardError.contains(needle), "\(needle) not in: \(result.standardError)")
            }
            XCTAssertEqual(scratch.contents().filter { $0 != "damaged" && $0 != "truncated" }, [], arguments.joined(separator: " "))
        }
    }
}
