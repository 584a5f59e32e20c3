import FewShot
import Foundation
import LinearAlgebra
import NTKBridgeCommands
import Paradigms
import Reports
import TestSupport
import XCTest

/// A user's own data: `compare` of two prediction files, `closeness --tasks`, the MSE that
/// `predict` and `finite` print against query labels, and `predict --kernel-dir`.
final class OwnDataCommandTests: XCTestCase {
    private var scratch: ScratchDirectory!
    private var tasks: TaskSet!
    private var taskFile: String!

    override func setUpWithError() throws {
        scratch = try ScratchDirectory()
        tasks = try TaskFamily.teacher(dimension: 3, outputs: 2, features: 8)
            .tasks(trainTasks: 4, testTasks: 3, support: 3, query: 4, seed: 13)
        taskFile = try scratch.write(tasks.taskFileText(), to: "T.json")
    }

    override func tearDown() { scratch.remove() }

    private func run(_ arguments: [String]) throws {
        var command = try NTKBridge.parseAsRoot(arguments)
        try command.run()
    }

    /// The message of the error `arguments` fail with (nil if they succeed).
    private func failure(_ arguments: [String]) -> String? {
        do {
            var command = try NTKBridge.parseAsRoot(arguments)
            try command.run()
            return nil
        } catch {
            return NTKBridge.message(for: error)
        }
    }

    private func predict(_ method: String, depth: String = "4", extra: [String] = [], out: String) throws {
        try run(["predict", "--tasks", taskFile, "--method", method, "--inner", "continuous", "--inner-rate", "1",
                 "--inner-steps", "0.01", "--out", scratch.path(out)]
                + (extra.contains("--kernel-dir") ? [] : ["--depth", depth, "--activation", "relu"]) + extra)
    }

    // MARK: compare

    /// Per task, compare's distances equal ‖A − B‖_F/‖B‖_F and ‖A − B‖_F/√(n·k) computed here
    /// entry by entry; its summary equals the one closeness --tasks reports for the same
    /// predictors (closeness computes them in memory, compare from the CSVs, which hold the
    /// same bits: 1e-12 relative covers summation order).
    func testCompareMatchesIndependentDistancesAndCloseness() throws {
        try predict("mtl", out: "mtl.csv")
        try predict("anil", out: "anil.csv")
        let result = try CommandRunner.run(["compare", "mtl.csv", "anil.csv", "--out", "d.csv"], in: scratch.url)
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertTrue(result.standardOutput.contains("relative: mean"), result.standardOutput)
        let a = try PredictionFile.read(scratch.path("mtl.csv")), b = try PredictionFile.read(scratch.path("anil.csv"))
        let table = try CSVTable.read(scratch.path("d.csv"))
        XCTAssertEqual(table.columns, ["task", "points", "relative", "rms"])
        XCTAssertEqual(table.rows.count, 3)
        var relative: [Double] = []
        for (task, row) in table.rows.enumerated() {
            var difference = 0.0, reference = 0.0
            for i in 0..<a[task].rows {
                for j in 0..<a[task].columns {
                    difference += (a[task][i, j] - b[task][i, j]) * (a[task][i, j] - b[task][i, j])
                    reference += b[task][i, j] * b[task][i, j]
                }
            }
            let expected = (difference / reference).squareRoot()
            relative.append(expected)
            XCTAssertEqual(row[1], "4")
            XCTAssertEqual(Double(row[2])!, expected, accuracy: 1e-12 * expected)
            XCTAssertEqual(Double(row[3])!, (difference / 8).squareRoot(), accuracy: 1e-12 * expected)
        }
        XCTAssertGreaterThan(relative.min()!, 0, "MTL and ANIL differ at depth 4")

        try run(["closeness", "--tasks", taskFile, "--activation", "relu", "--depths", "4", "--inner-times", "0.01",
                 "--methods", "anil", "--no-figures", "--out", scratch.path("sweep")])
        let sweep = try CSVTable.read(scratch.path("sweep/closeness.csv"))
        XCTAssertEqual(sweep.rows.count, 1)
        let row = Dictionary(uniqueKeysWithValues: zip(sweep.columns, sweep.rows[0]))
        let summary = SampleStatistics(relative)
        for (column, value) in [("relative_mean", summary.mean), ("relative_std", summary.standardDeviation),
                                 ("relative_median", summary.median)] {
            XCTAssertEqual(Double(row[column]!)!, value, accuracy: 1e-12 * summary.mean, column)
            XCTAssertTrue(result.standardOutput.contains(String(format: "%.6g", value)), "\(column) in \(result.standardOutput)")
        }
        XCTAssertEqual(row["seed"], "0", "with --tasks the seed column holds --seed")
    }

    /// Files that are not predictions of the same task file are refused, naming the file (and
    /// line), and nothing is written.
    func testCompareRefusals() throws {
        try predict("mtl", out: "mtl.csv")
        let fewer = try scratch.write("task,point,y0,y1\n0,0,1,2\n", to: "fewer.csv")
        let narrower = try scratch.write("task,point,y0\n" + (0..<3).flatMap { t in (0..<4).map { "\(t),\($0),1\n" } }.joined(),
                                         to: "narrower.csv")
        try scratch.write("task,point,y0,y1\n0,0,1,2\n0,2,1,2\n", to: "gap.csv")
        try scratch.write("task,pt,y0,y1\n0,0,1,2\n", to: "header.csv")
        try scratch.write("task,point,y0,y1\n0,0,1,nan\n", to: "nan.csv")
        let cases: [([String], [String])] = [
            (["compare", "mtl.csv", fewer], ["fewer.csv", "has 1", "3 test task(s)"]),
            (["compare", narrower, "mtl.csv"], ["task 0", "narrower.csv", "4 point(s) × 1 output(s)"]),
            (["compare", "gap.csv", "mtl.csv"], ["gap.csv:3", "task 0, point 2", "expected task 0, point 1"]),
            (["compare", "header.csv", "mtl.csv"], ["header.csv:1", "header"]),
            (["compare", "nan.csv", "mtl.csv"], ["nan.csv:2", "column 4"]),
            (["compare", "missing.csv", "mtl.csv"], ["missing.csv"]),
        ]
        for (arguments, fragments) in cases {
            let result = try CommandRunner.run(arguments + ["--out", "d.csv"], in: scratch.url)
            XCTAssertNotEqual(result.status, 0, "\(arguments) was accepted")
            for fragment in fragments {
                XCTAssertTrue(result.standardError.contains(fragment), "\(arguments): '\(fragment)' missing from \(result.standardError)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("d.csv")))
        }
        let before = try String(contentsOfFile: scratch.path("mtl.csv"), encoding: .utf8)
        XCTAssertNotNil(failure(["compare", scratch.path("mtl.csv"), scratch.path("mtl.csv"), "--out", scratch.path("mtl.csv")]))
        XCTAssertEqual(try String(contentsOfFile: scratch.path("mtl.csv"), encoding: .utf8), before, "an input was overwritten")
    }

    // MARK: closeness --tasks

    /// --tasks runs the sweep on the file's task set; it is refused beside --family, without
    /// either, and with --seeds > 1.
    func testClosenessOnATaskFile() throws {
        let common = ["closeness", "--activation", "relu", "--depths", "1,2", "--inner-times", "0.01", "--no-figures"]
        try run(common + ["--tasks", taskFile, "--out", scratch.path("a")])
        let table = try CSVTable.read(scratch.path("a/closeness.csv"))
        XCTAssertEqual(table.rows.count, 2 * 2, "2 depths × (ANIL, MAML)")
        // The same sweep on the same tasks drawn by the family gives the same distances.
        try run(common + ["--family", "teacher", "--dim", "3", "--outputs", "2", "--features", "8", "--train-tasks", "4",
                          "--test-tasks", "3", "--support", "3", "--query", "4", "--seed", "13", "--out", scratch.path("b")])
        let family = try CSVTable.read(scratch.path("b/closeness.csv"))
        XCTAssertEqual(family.rows.map { Array($0.dropFirst()) }, table.rows.map { Array($0.dropFirst()) })

        let refusals: [([String], String)] = [
            (common + ["--tasks", taskFile, "--family", "teacher"], "exactly one of --family"),
            (common, "exactly one of --family"),
            (common + ["--tasks", taskFile, "--seeds", "2"], "--seeds"),
            (common + ["--tasks", scratch.path("none.json")], "none.json"),
        ]
        for (k, (arguments, fragment)) in refusals.enumerated() {
            let message = failure(arguments + ["--out", scratch.path("r\(k)")])
            XCTAssertTrue(message?.contains(fragment) == true, "\(arguments): \(message ?? "accepted")")
            XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("r\(k)/closeness.csv")))
        }
    }

    // MARK: MSE against query labels

    /// predict and finite print test_mse on stdout, equal to Σ‖F − Y‖²/(points·outputs) from the
    /// written predictions and the file's labels; without test labels they print none.
    func testMSEAgainstQueryLabels() throws {
        let runs: [[String]] = [
            ["predict", "--tasks", "T.json", "--method", "maml", "--depth", "2", "--activation", "relu", "--inner", "continuous",
             "--inner-rate", "1", "--inner-steps", "0.5", "--out", "p.csv"],
            ["finite", "--tasks", "T.json", "--method", "mtl", "--width", "16", "--depth", "1", "--activation", "relu",
             "--inner", "discrete", "--inner-rate", "0.05", "--inner-steps", "2", "--meta-rate", "0.01", "--meta-steps", "2",
             "--out", "p.csv"],
        ]
        for arguments in runs {
            let result = try CommandRunner.run(arguments, in: scratch.url)
            XCTAssertEqual(result.status, 0, result.standardError)
            let predictions = try PredictionFile.read(scratch.path("p.csv"))
            var sum = 0.0
            for (prediction, task) in zip(predictions, tasks.test) {
                for i in 0..<prediction.rows {
                    for j in 0..<prediction.columns {
                        let e = prediction[i, j] - task.queryLabels![i, j]
                        sum += e * e
                    }
                }
            }
            let expected = sum / Double(3 * 4 * 2)
            let line = try XCTUnwrap(result.standardOutput.split(separator: "\n").first { $0.hasPrefix("test_mse: ") })
            let value = try XCTUnwrap(Double(line.split(separator: " ")[1]))
            XCTAssertEqual(value, expected, accuracy: 1e-12 * expected, arguments[0])
            XCTAssertTrue(line.contains("3 test task(s), 12 point(s), 2 output(s)"), String(line))
        }
        let unlabelled = try TaskSet(train: tasks.train, test: tasks.test.map {
            FewShotTask(supportInputs: $0.supportInputs, supportLabels: $0.supportLabels, queryInputs: $0.queryInputs, queryLabels: nil)
        })
        try scratch.write(unlabelled.taskFileText(), to: "U.json")
        let result = try CommandRunner.run(runs[0].map { $0 == "T.json" ? "U.json" : $0 }, in: scratch.url)
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertFalse(result.standardOutput.contains("test_mse"), result.standardOutput)
    }

    // MARK: predict --kernel-dir

    /// Kernels written by `ntkbridge kernel` on the stacked points of the task file and imported
    /// give predict's own predictions: all four CSVs (the same bits) and nngp + ntk as .npy
    /// (body = Θ − 𝒦 by subtraction instead of its own recursion: a relative change of ~1e-16
    /// in Θ_body, amplified by cond Θ_MTL ≲ 1e3, so 1e-11 bounds it).
    func testImportedKernelsReproducePredict() throws {
        let points = StackedPoints(tasks)
        let x = try scratch.write(points.inputs, to: "points.csv")
        try run(["kernel", "--x1", x, "--depth", "4", "--activation", "relu", "--out", scratch.path("csv")])
        try run(["kernel", "--x1", x, "--depth", "4", "--activation", "relu", "--format", "npy", "--out", scratch.path("npy")])
        for name in ["head.npy", "body.npy"] { try FileManager.default.removeItem(atPath: scratch.path("npy/\(name)")) }
        for method in ["mtl", "anil", "maml"] {
            try predict(method, out: "own-\(method).csv")
            let own = try PredictionFile.read(scratch.path("own-\(method).csv"))
            for (folder, tolerance) in [("csv", 1e-13), ("npy", 1e-11)] {
                try predict(method, extra: ["--kernel-dir", scratch.path(folder)], out: "\(folder)-\(method).csv")
                let imported = try PredictionFile.read(scratch.path("\(folder)-\(method).csv"))
                XCTAssertLessThan(maxRelativeError(imported, own), tolerance, "\(method) from \(folder)")
            }
        }
    }

    /// Each unusable kernel folder is refused naming the file (and entry) and what was expected,
    /// and no predictions are written.
    func testKernelImportRefusals() throws {
        let n = StackedPoints(tasks).inputs.rows
        let x = try scratch.write(StackedPoints(tasks).inputs, to: "points.csv")
        try run(["kernel", "--x1", x, "--depth", "2", "--activation", "relu", "--out", scratch.path("good")])
        let ntk = try Matrix(csvFile: scratch.path("good/ntk.csv")), nngp = try Matrix(csvFile: scratch.path("good/nngp.csv"))
        func folder(_ name: String, _ files: [String: Matrix], npy: Bool = false) throws -> String {
            let path = scratch.path(name)
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            for (file, matrix) in files {
                try (npy ? MatrixFileFormat.npy : .csv).write(matrix, to: "\(path)/\(file).\(npy ? "npy" : "csv")")
            }
            return path
        }
        var asymmetric = ntk
        asymmetric[1, 4] += 1e-3 * ntk.maxAbs
        var notFinite = ntk
        notFinite[2, 3] = .nan
        var shifted = ntk
        shifted[0, 0] += 1e-6 * ntk.maxAbs
        let ambiguous = try folder("ambiguous", ["nngp": nngp, "ntk": ntk])
        try MatrixFileFormat.npy.write(ntk, to: ambiguous + "/ntk.npy")
        let cases: [(String, [String])] = [
            (try folder("small", ["nngp": nngp.block(rows: 0..<5, columns: 0..<5), "ntk": ntk]),
             ["small/nngp.csv", "5 × 5", "expected \(n) × \(n)", "query then support"]),
            (try folder("asymmetric", ["nngp": nngp, "ntk": asymmetric]), ["asymmetric/ntk.csv", "(1, 4)", "symmetric"]),
            (try folder("nan", ["nngp": nngp, "ntk": notFinite], npy: true), ["nan/ntk.npy", "(2, 3)", "finite"]),
            (try folder("onlyntk", ["ntk": ntk]), ["onlyntk", "ntk only", "nngp and ntk"]),
            (ambiguous, ["ambiguous", "ntk.csv and ntk.npy"]),
            (try folder("inconsistent", ["ntk": shifted, "head": nngp, "body": ntk - nngp]), ["inconsistent", "head + body"]),
            (scratch.path("nowhere"), ["nowhere", "not a folder"]),
        ]
        for (k, (directory, fragments)) in cases.enumerated() {
            let out = scratch.path("p\(k).csv")
            let message = failure(["predict", "--tasks", taskFile, "--method", "mtl", "--inner", "continuous", "--inner-rate", "1",
                                   "--inner-steps", "0.01", "--kernel-dir", directory, "--out", out])
            for fragment in fragments {
                XCTAssertTrue(message?.contains(fragment) == true, "\(directory): '\(fragment)' missing from \(message ?? "accepted")")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        }
        let both = failure(["predict", "--tasks", taskFile, "--method", "mtl", "--inner", "continuous", "--inner-rate", "1",
                            "--inner-steps", "0.01", "--kernel-dir", scratch.path("good"), "--depth", "2", "--out",
                            scratch.path("q.csv")])
        XCTAssertTrue(both?.contains("--kernel-dir") == true, both ?? "accepted")
        let before = try String(contentsOfFile: scratch.path("good/ntk.csv"), encoding: .utf8)
        let overwrite = failure(["predict", "--tasks", taskFile, "--method", "mtl", "--inner", "continuous", "--inner-rate", "1",
                                 "--inner-steps", "0.01", "--kernel-dir", scratch.path("good"), "--out", scratch.path("good/ntk.csv")])
        XCTAssertTrue(overwrite?.contains("--kernel-dir") == true, overwrite ?? "accepted")
        XCTAssertEqual(try String(contentsOfFile: scratch.path("good/ntk.csv"), encoding: .utf8), before, "an input was overwritten")
    }
}
