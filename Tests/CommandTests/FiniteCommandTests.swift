import FewShot
import FiniteWidth
import Foundation
import InfiniteWidth
import LinearAlgebra
import NTKBridgeCommands
import Reports
import TestSupport
import XCTest

/// `ntkbridge finite`, `convergence` and `cost`.
final class FiniteCommandTests: XCTestCase {
    private var scratch: ScratchDirectory!
    private var taskFile = ""

    override func setUpWithError() throws {
        scratch = try ScratchDirectory()
        taskFile = try scratch.writeSmallTeacherTasks(to: "t.json")
    }

    override func tearDown() { scratch.remove() }

    private func run(_ arguments: [String]) throws {
        var command = try NTKBridge.parseAsRoot(arguments)
        try command.run()
    }

    private var training: [String] {
        ["--depth", "2", "--activation", "relu", "--inner-rate", "0.1", "--inner-steps", "2",
         "--meta-rate", "0.05", "--meta-steps", "4"]
    }

    /// The command trains exactly what the library trains from the same seed, writes the
    /// predictions in `predict`'s format, and logs the curve.
    func testFiniteMatchesTheLibraryAndLogs() throws {
        let tasks = try TaskSet(taskFile: taskFile)
        let settings = FiniteSettings(innerSolver: .gradientDescent(rate: 0.1, steps: 2),
                                      training: .gradientDescent(rate: 0.05, steps: 4))
        for method in FiniteMethod.allCases {
            let out = scratch.path("\(method).csv"), log = scratch.path("\(method)-log.csv")
            try run(["finite", "--tasks", taskFile, "--method", method.rawValue, "--width", "32", "--seed", "3", "--out", out,
                     "--log", log] + training)
            var learner = try settings.learner(method, tasks: tasks, architecture: Architecture(depth: 2, activation: .relu),
                                               width: 32, seed: 3)
            try learner.train()
            XCTAssertLessThan(maxRelativeError(try PredictionFile.read(out), try learner.predictions()), 1e-12, "\(method)")
            let curve = try CSVTable.read(log)
            XCTAssertEqual(curve.columns, ["step", "outer_loss", "seconds", "test_loss"])
            XCTAssertEqual(curve.values(of: "step"), ["0", "1", "2", "3", "4"])
            XCTAssertTrue(curve.values(of: "test_loss").allSatisfy { Double($0) != nil })
        }
    }

    func testFiniteRefusesWhatItCannotTrain() throws {
        let base = ["finite", "--tasks", taskFile, "--method", "anil", "--depth", "2", "--activation", "relu"]
        let discrete = ["--inner-rate", "0.1", "--inner-steps", "2"]
        let cases: [([String], [String])] = [
            (base + ["--width", "16", "--inner", "continuous", "--inner-rate", "0.1", "--inner-steps", "2",
                     "--meta-rate", "0.05", "--meta-steps", "4"], ["--inner continuous", "gradient-descent steps"]),
            (base + discrete + ["--meta-rate", "0.05", "--meta-steps", "4"], ["--width"]),
            (base + discrete + ["--width", "0", "--meta-rate", "0.05", "--meta-steps", "4"], ["--width"]),
            (base + discrete + ["--width", "16", "--meta-time", "2"], ["--meta-rate", "--meta-steps"]),
            (base + discrete + ["--width", "16", "--meta-rate", "50", "--meta-steps", "4"], ["--meta-rate", "at most"]),
            (base + ["--width", "16", "--inner-rate", "100", "--inner-steps", "2",
                     "--meta-rate", "0.05", "--meta-steps", "4"], ["--inner-rate", "at most"]),
            (base + discrete + ["--width", "16", "--meta-rate", "0.05", "--meta-steps", "4", "--diag-reg", "1e-3"], ["--diag-reg"]),
            (["finite", "--tasks", taskFile, "--method", "reptile", "--width", "16", "--depth", "2", "--activation", "relu"]
                + discrete + ["--meta-rate", "0.05", "--meta-steps", "4"], ["--method", "reptile"]),
        ]
        for (k, (arguments, fragments)) in cases.enumerated() {
            let result = try CommandRunner.run(arguments + ["--out", "p\(k).csv"], in: scratch.url)
            XCTAssertNotEqual(result.status, 0, "\(arguments)")
            for fragment in fragments {
                XCTAssertTrue(result.standardError.contains(fragment), "\(arguments): '\(fragment)' missing from \(result.standardError)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("p\(k).csv")))
        }
    }

    /// A convergence study writes its tables and figures, and resumes from the widths and seeds
    /// already measured (a marked value survives a run that adds a width).
    func testConvergenceStudyWritesAndResumes() throws {
        let arguments = ["convergence", "--tasks", taskFile, "--methods", "mtl,anil", "--seeds", "2", "--out",
                         scratch.path("conv")] + training
        let first = try CommandRunner.run(arguments + ["--widths", "16,32"], in: scratch.url)
        XCTAssertEqual(first.status, 0, first.standardError)
        XCTAssertTrue(first.standardOutput.contains("anil_vs_kernel"), first.standardOutput)
        let path = scratch.path("conv/convergence.csv")
        var table = try CSVTable.read(path)
        XCTAssertEqual(table.columns, ConvergenceReport.columns)
        XCTAssertEqual(Set(table.values(of: "width")), ["16", "32"])
        XCTAssertTrue(table.comments.contains { $0.hasPrefix("command: ") })
        // Mark seed 0's NTK error at width 16; the resumed study keeps it.
        var text = try String(contentsOfFile: path, encoding: .utf8)
        let line = text.split(separator: "\n").first { $0.hasPrefix("16,0,init,ntk_error,") }!
        text = text.replacingOccurrences(of: String(line), with: "16,0,init,ntk_error,0.123456")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let resumed = try CommandRunner.run(arguments + ["--widths", "16,32,64"], in: scratch.url)
        XCTAssertEqual(resumed.status, 0, resumed.standardError)
        XCTAssertTrue(resumed.standardError.contains("already in"), resumed.standardError)
        table = try CSVTable.read(path)
        XCTAssertTrue(table.values(of: "value").contains("0.123456"))
        XCTAssertEqual(Set(table.values(of: "width")), ["16", "32", "64"])
        let summary = try CSVTable.read(scratch.path("conv/summary.csv"))
        XCTAssertTrue(summary.values(of: "curve").contains("mtl-vs-anil-analytic"))
        for figure in ["prediction_error_vs_width", "kernel_error_vs_width", "mtl_anil_distance_vs_width"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: scratch.path("conv/\(figure).png")), figure)
            XCTAssertTrue(FileManager.default.fileExists(atPath: scratch.path("conv/\(figure).svg")), figure)
        }
        let other = try CommandRunner.run(arguments.map { $0 == "0.05" ? "0.04" : $0 } + ["--widths", "16"], in: scratch.url)
        XCTAssertNotEqual(other.status, 0)
        XCTAssertTrue(other.standardError.contains("another configuration"), other.standardError)
    }

    func testCostComparison() throws {
        let result = try CommandRunner.run(["cost", "--tasks", taskFile, "--width", "32", "--evaluate-every", "2",
                                            "--repeats", "2", "--out", scratch.path("cost")] + training, in: scratch.url)
        XCTAssertEqual(result.status, 0, result.standardError)
        let cost = try CSVTable.read(scratch.path("cost/cost.csv"))
        XCTAssertEqual(cost.values(of: "method"), ["mtl", "anil", "maml", "fomaml"])
        XCTAssertEqual(cost.values(of: "repeats"), ["2", "2", "2", "2"])
        XCTAssertEqual(cost.values(of: "seconds_per_step_over_mtl").first, "1.0")
        // 2 training tasks of 3 + 4 points (one held out), τ = 2: MTL 4 point passes per task,
        // ANIL 7, FOMAML 2·3 + 4 = 10, MAML 10 + (8/3)·2·3 = 26.
        let passes = cost.values(of: "point_passes_per_step").compactMap(Double.init)
        XCTAssertEqual(passes, [8, 14, 52, 20])
        let runs = try CSVTable.read(scratch.path("cost/runs.csv"))
        XCTAssertEqual(runs.rows.count, 8, "four methods, two seeds")
        XCTAssertTrue(runs.values(of: "status").allSatisfy { ["reached", "at-start", "never"].contains($0) })
        let target = try XCTUnwrap(Double(cost.values(of: "target_validation_loss")[0]))
        let best = Dictionary(grouping: zip(runs.values(of: "method"), runs.values(of: "best_validation_loss").compactMap(Double.init)),
                              by: \.0).mapValues { $0.map(\.1).sorted() }
        XCTAssertEqual(target, best.values.map { 0.5 * ($0[0] + $0[1]) }.max()!, accuracy: 1e-12 * target,
                       "by default, the worst method's median best validation loss")
        let curves = try CSVTable.read(scratch.path("cost/curves.csv"))
        XCTAssertEqual(curves.rows.count, 4 * 2 * 3, "four methods, two seeds, steps 0, 2, 4")
        XCTAssertTrue(curves.values(of: "cpu_seconds").allSatisfy { Double($0) != nil })
        // One output column: its argmax is always the label's, so every accuracy is exactly 1.
        for column in ["validation_accuracy", "validation_accuracy_own", "test_accuracy", "test_accuracy_own"] {
            XCTAssertEqual(Set(curves.values(of: column)), ["1.0"], column)
        }
        for ext in ["png", "svg", "gp"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: scratch.path("cost/validation_loss_vs_seconds.\(ext)")), ext)
        }
    }

    /// --time-budget alone (no --meta-steps, no --meta-rate): each method at half its own bound.
    func testCostTimeBudgetAlone() throws {
        let base = ["cost", "--tasks", taskFile, "--width", "32", "--methods", "mtl,anil", "--repeats", "1",
                    "--depth", "2", "--activation", "relu", "--inner-rate", "0.1", "--inner-steps", "2"]
        let budget = try CommandRunner.run(base + ["--time-budget", "0.05", "--out", scratch.path("cost2")], in: scratch.url)
        XCTAssertEqual(budget.status, 0, budget.standardError)
        let budgeted = try CSVTable.read(scratch.path("cost2/cost.csv"))
        let file = try TaskSet(taskFile: taskFile)
        let tasks = try TaskSet(train: Array(file.train.prefix(2)), test: [file.train[2]] + file.test)
        let settings = FiniteSettings(innerSolver: .gradientDescent(rate: 0.1, steps: 2), training: .gradientDescent(rate: 1, steps: 10))
        for (method, rate) in zip(["mtl", "anil"], budgeted.values(of: "outer_rate_median")) {
            let bound = try settings.stableOuterRate(FiniteMethod(rawValue: method)!, tasks: tasks,
                                                     architecture: Architecture(depth: 2, activation: .relu), width: 32, seed: 0)
            XCTAssertEqual(try XCTUnwrap(Double(rate)), 0.5 * bound, accuracy: 1e-12 * bound, method)
        }
        let refused = try CommandRunner.run(base + ["--out", scratch.path("c3")], in: scratch.url)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.standardError.contains("--time-budget"), refused.standardError)
        let split = try CommandRunner.run(base + ["--time-budget", "0.05", "--validation-tasks", "3", "--out", scratch.path("c4")],
                                          in: scratch.url)
        XCTAssertNotEqual(split.status, 0)
        XCTAssertTrue(split.standardError.contains("--validation-tasks"), split.standardError)
    }

    /// A target met before training, or never, is reported and warned about.
    func testCostWarnsAboutAnUninformativeTarget() throws {
        let base = ["cost", "--tasks", taskFile, "--width", "32", "--methods", "mtl", "--repeats", "1", "--evaluate-every", "2"]
            + training
        let easy = try CommandRunner.run(base + ["--target-validation-loss", "1e9", "--out", scratch.path("easy")], in: scratch.url)
        XCTAssertEqual(easy.status, 0, easy.standardError)
        XCTAssertTrue(easy.standardError.contains("met at step 0"), easy.standardError)
        XCTAssertEqual(try CSVTable.read(scratch.path("easy/runs.csv")).values(of: "status"), ["at-start"])
        let hard = try CommandRunner.run(base + ["--target-validation-loss", "0", "--out", scratch.path("hard")], in: scratch.url)
        XCTAssertEqual(hard.status, 0, hard.standardError)
        XCTAssertTrue(hard.standardError.contains("never reached"), hard.standardError)
        XCTAssertEqual(try CSVTable.read(scratch.path("hard/cost.csv")).values(of: "never"), ["1"])
    }

    /// A finite network has no kernel integral: finite and cost do not offer --quadrature, and
    /// say why when it is given (convergence does: its kernel predictors use it).
    func testFiniteCommandsOfferNoQuadrature() throws {
        let result = try CommandRunner.run(["finite", "--tasks", taskFile, "--method", "mtl", "--width", "8",
                                            "--quadrature", "gauss-hermite:20", "--out", scratch.path("q.csv")] + training,
                                           in: scratch.url)
        XCTAssertEqual(result.status, NTKBridge.refusalStatus)
        XCTAssertTrue(result.standardError.contains("finite has no --quadrature: a finite network evaluates its activation"),
                      result.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("q.csv")))
        for command in ["finite", "cost"] {
            XCTAssertFalse(try CommandRunner.run([command, "--help"], in: scratch.url).standardOutput.contains("--quadrature"))
        }
        XCTAssertTrue(try CommandRunner.run(["convergence", "--help"], in: scratch.url).standardOutput.contains("--quadrature"))
    }
}
