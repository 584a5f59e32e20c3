import FewShot
import Foundation
import LinearAlgebra
import NTKBridgeCommands
import Reports
import TestSupport
import XCTest

/// `ntkbridge tasks` and `ntkbridge predict`: the reference predictions through the command
/// line, the CSV layout, and every refused input.
final class PredictCommandTests: XCTestCase {
    private var scratch: ScratchDirectory!

    override func setUpWithError() throws { scratch = try ScratchDirectory() }
    override func tearDown() { scratch.remove() }

    private func run(_ arguments: [String]) throws {
        var command = try NTKBridge.parseAsRoot(arguments)
        try command.run()
    }

    func testEveryPredictorReferenceRunThroughTheCommandLine() throws {
        for c in try Fixtures.predictorCases() {
            let tasks = try scratch.write(try c.taskSet().taskFileText(), to: "\(c.name).json")
            for run in c.runs {
                let out = scratch.path("\(c.name)-\(run.method).csv")
                try self.run(run.cli_args.map { $0 == "{tasks}" ? tasks : $0 == "{out}" ? out : $0 })
                let predictions = try PredictionFile.read(out)
                let error = maxRelativeError(predictions, c.expectedPredictions(run.method))
                XCTAssertLessThan(error, 1e-8, "\(c.name) \(run.method)")
            }
        }
    }

    func testPredictionCSVLayout() throws {
        let c = try Fixtures.predictorCases()[1]   // k = 2 outputs, 3 test tasks of 6 query points
        let tasks = try scratch.write(try c.taskSet().taskFileText(), to: "t.json")
        let out = scratch.path("p.csv")
        try run(c.runs[0].cli_args.map { $0 == "{tasks}" ? tasks : $0 == "{out}" ? out : $0 })
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.first, "task,point,y0,y1")
        XCTAssertEqual(lines[1].split(separator: ",").prefix(2), ["0", "0"])
        XCTAssertEqual(lines.last?.split(separator: ",").prefix(2), ["2", "5"])
        XCTAssertEqual(lines.count, 1 + 3 * 6)
    }

    /// `tasks` writes the same file for the same flags and seed, and predict reads it.
    func testTasksCommandIsReproducible() throws {
        let arguments = ["tasks", "--family", "teacher", "--train-tasks", "4", "--test-tasks", "2", "--support", "3",
                         "--query", "5", "--dim", "3", "--outputs", "2", "--seed", "7"]
        try run(arguments + ["--out", scratch.path("a.json")])
        try run(arguments + ["--out", scratch.path("b.json")])
        XCTAssertEqual(try String(contentsOfFile: scratch.path("a.json"), encoding: .utf8),
                       try String(contentsOfFile: scratch.path("b.json"), encoding: .utf8))
        let tasks = try TaskSet(taskFile: scratch.path("a.json"))
        XCTAssertEqual(tasks.train.count, 4)
        XCTAssertEqual(tasks.labelWidth, 2)
        XCTAssertEqual(tasks.inputDimension, 3)
        try run(["predict", "--tasks", scratch.path("a.json"), "--method", "anil", "--depth", "2", "--activation", "relu",
                 "--inner", "continuous", "--inner-rate", "1", "--inner-steps", "0.5", "--out", scratch.path("p.csv")])
        XCTAssertEqual(try PredictionFile.read(scratch.path("p.csv")).map(\.rows), [5, 5])
    }

    /// Each refused input: non-zero exit, a message naming the flag or the file, line and path,
    /// and no CSV written.
    func testRefusedInputs() throws {
        let c = try Fixtures.predictorCases()[0]
        let tasks = try scratch.write(try c.taskSet().taskFileText(), to: "t.json")
        try scratch.write("{\"train\": [{\"support\": {\"x\": [[1, 2]], \"y\": [[1]]},\n \"query\": {\"x\": [[1]], \"y\": [[1]]}}], \"test\": []}",
                          to: "bad.json")
        try scratch.write("{\"train\": [{\"support\": {\"x\": [[1, 2]], \"y\": [[1]]},\n \"query\": {\"x\": [[1, 3]], \"y\": [[1]]}}], \"test\": []}",
                          to: "notest.json")
        let base = ["predict", "--tasks", tasks, "--depth", "2", "--activation", "relu"]
        let continuous = ["--inner", "continuous", "--inner-rate", "0.5", "--inner-steps", "1"]
        let cases: [([String], [String])] = [
            (base + ["--method", "anil", "--inner", "discrete", "--inner-rate", "0.1"], ["--inner discrete", "--inner-steps"]),
            (base + ["--method", "anil", "--inner", "discrete", "--inner-rate", "0.1", "--inner-steps", "2.5"], ["--inner-steps", "whole number"]),
            (base + ["--method", "anil", "--inner", "ridge"], ["--ridge"]),
            (base + ["--method", "anil", "--inner", "newton"], ["--inner", "newton"]),
            (base + ["--method", "reptile"] + continuous, ["--method", "reptile"]),
            (base + ["--method", "maml", "--meta-time", "2", "--meta-rate", "0.1", "--meta-steps", "3"] + continuous,
             ["--meta-time", "--meta-steps"]),
            (base + ["--method", "maml", "--meta-steps", "3"] + continuous, ["--meta-steps", "--meta-rate"]),
            (base + ["--method", "maml", "--meta-rate", "100", "--meta-steps", "3"] + continuous, ["--meta-rate", "at most"]),
            (base + ["--method", "anil", "--inner", "discrete", "--inner-rate", "1000", "--inner-steps", "3"],
             ["--inner-rate", "train[0]", "at most"]),
            (base + ["--method", "anil", "--inner", "discrete", "--inner-rate", "0.1", "--inner-steps", "3", "--test-inner-rate", "1000"],
             ["--test-inner-rate", "test[0]", "at most"]),
            (base + ["--method", "mtl", "--head-correlation", "1.5"] + continuous, ["--head-correlation"]),
            (base + ["--method", "mtl", "--new-head", "zero"] + continuous, ["--new-head"]),
            (base + ["--method", "anil", "--diag-reg", "-1"] + continuous, ["--diag-reg"]),
            (["predict", "--tasks", "bad.json", "--depth", "2", "--activation", "relu", "--method", "anil"] + continuous,
             ["bad.json:2", "train[0].query.x", "dimension 1"]),
            (["predict", "--tasks", "notest.json", "--depth", "2", "--activation", "relu", "--method", "anil"] + continuous,
             ["notest.json", "no test tasks"]),
            (["predict", "--tasks", "missing.json", "--depth", "2", "--activation", "relu", "--method", "anil"] + continuous,
             ["missing.json", "cannot be read"]),
        ]
        for (k, (arguments, fragments)) in cases.enumerated() {
            let result = try CommandRunner.run(arguments + ["--out", "p\(k).csv"], in: scratch.url)
            XCTAssertNotEqual(result.status, 0, "\(arguments) was accepted")
            for fragment in fragments {
                XCTAssertTrue(result.standardError.contains(fragment), "\(arguments): '\(fragment)' missing from \(result.standardError)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("p\(k).csv")))
        }
        XCTAssertEqual(scratch.contents().filter { $0.hasPrefix(".") }, [])
    }

    /// A singular Φ at t = ∞ is refused naming Φ and suggesting --diag-reg, which then works.
    func testSingularMetaKernelSuggestsDiagonalRegularization() throws {
        // A training task given twice: two equal block rows make Φ singular.
        let tasks = try TaskFamily.teacher(dimension: 3, outputs: 1, features: 8)
            .tasks(trainTasks: 3, testTasks: 1, support: 3, query: 3, seed: 2)
        let twice = try TaskSet(train: tasks.train + [tasks.train[0]], test: tasks.test)
        let file = try scratch.write(twice.taskFileText(), to: "twice.json")
        let arguments = ["predict", "--tasks", file, "--method", "maml", "--depth", "2", "--activation", "relu",
                         "--inner", "continuous", "--inner-rate", "1", "--inner-steps", "1"]
        let result = try CommandRunner.run(arguments + ["--out", "p.csv"], in: scratch.url)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.standardError.contains("Φ") && result.standardError.contains("--diag-reg"), result.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("p.csv")))
        try run(arguments + ["--diag-reg", "1e-8", "--out", scratch.path("p.csv")])
        XCTAssertTrue(try PredictionFile.read(scratch.path("p.csv"))[0].allFinite)
    }
}
