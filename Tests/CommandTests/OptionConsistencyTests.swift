import FewShot
import Foundation
import NTKBridgeCommands
import Reports
import TestSupport
import XCTest

/// The command line's consistency: closed sets of values listed by --help and refused otherwise,
/// each command offering only the flags it uses, warnings for flags that do nothing, one default
/// per flag, task families in every study, library errors worded with flags.
final class OptionConsistencyTests: XCTestCase {
    private var scratch: ScratchDirectory!
    private var taskFile = ""

    override func setUpWithError() throws {
        scratch = try ScratchDirectory()
        taskFile = try scratch.writeSmallTeacherTasks(to: "t.json")
    }

    override func tearDown() { scratch.remove() }

    private func run(_ arguments: [String]) throws -> CommandRunner.Result {
        try CommandRunner.run(arguments, in: scratch.url)
    }

    private func help(_ command: String) throws -> String {
        // One line per option (ArgumentParser wraps long help lines).
        try run([command, "--help"]).standardOutput.replacingOccurrences(of: "\n                          ", with: " ")
    }

    private let finiteTraining = ["--depth", "2", "--activation", "relu", "--inner-rate", "0.1", "--inner-steps", "2",
                                  "--meta-rate", "0.05", "--meta-steps", "4"]

    func testHelpListsTheAllowedValues() throws {
        let expectations: [(String, [String])] = [
            ("predict", ["(values: mtl, anil, maml)", "(values: continuous, discrete, ridge, exact)",
                         "(values: ntk, standard; default: ntk)", "(values: query, merged; default: query)",
                         "(values: init, mean; default: init)", "(values: trapezoid, gauss-hermite:<points>; default: trapezoid)"]),
            ("kernel", ["(values: nngp, ntk, head, body; default: nngp,ntk,head,body)", "(values: csv, npy; default: csv)",
                        "(values: same, circular)", "(values: flatten, gap)"]),
            ("closeness", ["(values: sinusoid, teacher, linear-rep, classification)", "(values: continuous, discrete; default: continuous)",
                           "(values: maml, anil; default: anil,maml)"]),
            ("tasks", ["(values: sinusoid, teacher, linear-rep, classification, omniglot)"]),
            ("finite", ["(values: mtl, anil, maml, fomaml)"]),
            ("cost", ["(values: mtl, anil, maml, fomaml; default: mtl,anil,maml,fomaml)", "(values: wall, cpu; default: wall)"]),
            ("convergence", ["(values: mtl, anil, maml, fomaml; default: mtl,anil,maml)"]),
            ("baseline", ["(values: nearest-neighbour, hausdorff)"]),
        ]
        for (command, fragments) in expectations {
            let text = try help(command)
            for fragment in fragments { XCTAssertTrue(text.contains(fragment), "\(command) --help lacks \(fragment):\n\(text)") }
        }
    }

    func testAValueOutsideTheSetIsRefusedNamingTheAllowedOnes() throws {
        let cases: [([String], String)] = [
            (["predict", "--tasks", taskFile, "--method", "reptile"], "'mtl', 'anil' or 'maml'"),
            (["predict", "--tasks", taskFile, "--method", "mtl", "--inner", "newton"], "'continuous', 'discrete', 'ridge' or 'exact'"),
            (["kernel", "--x1", "x.csv", "--depth", "1", "--activation", "relu", "--format", "hdf5"], "'csv' and 'npy'"),
            (["closeness", "--family", "spiral", "--activation", "relu", "--depths", "1", "--inner-times", "1"],
             "'sinusoid', 'teacher', 'linear-rep' or 'classification'"),
            (["cost", "--tasks", taskFile, "--methods", "mtl,reptile", "--width", "8"] + finiteTraining,
             "'mtl', 'anil', 'maml' or 'fomaml'"),
        ]
        for (arguments, allowed) in cases {
            let result = try run(arguments + ["--out", "p.csv"])
            XCTAssertEqual(result.status, NTKBridge.refusalStatus, "\(arguments)")
            XCTAssertTrue(result.standardError.contains(allowed), "\(arguments): \(result.standardError)")
            XCTAssertTrue(result.standardError.contains("Usage: ntkbridge \(arguments[0])"), result.standardError)
        }
        // The activation catalogue still parses names case-insensitively, and the kernel list too.
        let x = try scratch.write("1,2\n3,4\n", to: "x.csv")
        let upper = try run(["kernel", "--x1", x, "--depth", "1", "--activation", "ReLU", "--kernels", "NTK, nngp", "--out", "k"])
        XCTAssertEqual(upper.status, 0, upper.standardError)
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch.path("k/ntk.csv")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("k/head.csv")))
    }

    /// finite, convergence and cost train networks by gradient descent: they neither list nor
    /// accept the inner solver, ridge, gradient-flow time, diagonal regularization or (but for
    /// convergence's kernel predictors) quadrature, and say why when given one.
    func testFiniteCommandsOfferOnlyTheFlagsTheyUse() throws {
        for command in ["finite", "convergence", "cost"] {
            let text = try help(command)
            for flag in ["--inner <", "--ridge", "--meta-time", "--diag-reg", "--test-adaptation"] {
                XCTAssertFalse(text.contains(flag), "\(command) --help lists \(flag)")
            }
            XCTAssertEqual(text.contains("--quadrature"), command == "convergence", command)
            for flag in ["--conv", "--image", "--padding", "--readout", "--inner-rate", "--inner-steps", "--meta-steps"] {
                XCTAssertTrue(text.contains(flag), "\(command) --help lacks \(flag)")
            }
        }
        let base = ["finite", "--tasks", taskFile, "--method", "mtl", "--width", "8", "--out", "p.csv"] + finiteTraining
        for (flags, reason) in [(["--ridge", "0.1"], "not ridge regression"), (["--meta-time", "2"], "--meta-rate η and --meta-steps S"),
                                (["--diag-reg", "1e-3"], "kernel predictor only")] {
            let result = try run(base + flags)
            XCTAssertEqual(result.status, NTKBridge.refusalStatus)
            XCTAssertTrue(result.standardError.contains("finite has no \(flags[0]): ") && result.standardError.contains(reason),
                          result.standardError)
        }
        // Older command lines with --inner discrete still run, with a deprecation warning.
        let old = try run(base + ["--inner", "discrete"])
        XCTAssertEqual(old.status, 0, old.standardError)
        XCTAssertTrue(old.standardError.contains("warning: --inner discrete is deprecated"), old.standardError)
        let continuous = try run(base + ["--inner", "continuous"])
        XCTAssertEqual(continuous.status, NTKBridge.refusalStatus)
        XCTAssertTrue(continuous.standardError.contains("drop --inner"), continuous.standardError)
    }

    /// Flags that change nothing are named on one line of stderr, and the run goes on.
    func testIgnoredFlagsAreWarnedAbout() throws {
        let predict = ["predict", "--tasks", taskFile, "--depth", "2", "--activation", "relu", "--inner", "continuous",
                       "--inner-rate", "1", "--inner-steps", "0.5"]
        let width = try run(predict + ["--method", "mtl", "--width", "64", "--out", "w.csv"])
        XCTAssertEqual(width.status, 0, width.standardError)
        XCTAssertTrue(width.standardError.contains("warning: --width 64 is ignored: in NTK parameterization"), width.standardError)
        XCTAssertEqual(width.standardError.split(separator: "\n").filter { $0.contains("warning") }.count, 1)
        let plain = try run(predict + ["--method", "mtl", "--out", "p.csv"])
        XCTAssertEqual(try String(contentsOfFile: scratch.path("w.csv"), encoding: .utf8),
                       try String(contentsOfFile: scratch.path("p.csv"), encoding: .utf8), "the width changed nothing")
        XCTAssertFalse(plain.standardError.contains("warning"), plain.standardError)
        let standard = try run(predict + ["--method", "mtl", "--width", "64", "--parameterization", "standard", "--out", "s.csv"])
        XCTAssertFalse(standard.standardError.contains("warning"), "standard parameterization uses the width")
        for method in ["anil", "maml"] {
            let rho = try run(predict + ["--method", method, "--head-correlation", "0.5", "--out", "\(method).csv"])
            XCTAssertEqual(rho.status, 0, rho.standardError)
            XCTAssertTrue(rho.standardError.contains("warning: --head-correlation ignored"), rho.standardError)
            XCTAssertTrue(FileManager.default.fileExists(atPath: scratch.path("\(method).csv")))
        }
        let mtl = try run(predict + ["--method", "mtl", "--head-correlation", "0.5", "--out", "rho.csv"])
        XCTAssertFalse(mtl.standardError.contains("warning"), mtl.standardError)
        let x = try scratch.write("1,2\n3,4\n", to: "x.csv")
        let kernel = try run(["kernel", "--x1", x, "--depth", "1", "--activation", "relu", "--width", "8", "--out", "k"])
        XCTAssertTrue(kernel.standardError.contains("ntkbridge kernel: warning: --width 8 is ignored"), kernel.standardError)
    }

    /// One default per flag: --seed is 0 everywhere (tasks included); closeness's --inner-rate,
    /// which the swept predictors never depended on, is a deprecated no-op; τ is --inner-steps in
    /// every command, required where it is used.
    func testDefaultsAndNamesAreTheSameEverywhere() throws {
        let draw = ["tasks", "--family", "sinusoid", "--train-tasks", "2", "--test-tasks", "1", "--support", "2", "--query", "2"]
        XCTAssertEqual(try run(draw + ["--out", "a.json"]).status, 0)
        XCTAssertEqual(try run(draw + ["--seed", "0", "--out", "b.json"]).status, 0)
        XCTAssertEqual(FileManager.default.contents(atPath: scratch.path("a.json")),
                       FileManager.default.contents(atPath: scratch.path("b.json")))
        for command in ["tasks", "finite", "convergence", "cost", "closeness"] {
            XCTAssertTrue(try help(command).contains("--seed <s>") && help(command).contains("(default: 0)"), command)
        }
        let sweep = ["closeness", "--tasks", taskFile, "--activation", "relu", "--depths", "1,2", "--inner-times", "0.1,1",
                     "--no-figures"]
        XCTAssertEqual(try run(sweep + ["--out", "plain"]).status, 0)
        let rated = try run(sweep + ["--inner-rate", "3", "--out", "rated"])
        XCTAssertEqual(rated.status, 0, rated.standardError)
        XCTAssertTrue(rated.standardError.contains("--inner-rate 3.0 is ignored and deprecated"), rated.standardError)
        XCTAssertEqual(try CSVTable.read(scratch.path("plain/closeness.csv")).rows,
                       try CSVTable.read(scratch.path("rated/closeness.csv")).rows, "λ never mattered")
        XCTAssertFalse(try help("closeness").contains("--inner-rate"))
        let discrete = try run(sweep + ["--inner", "discrete", "--out", "d"])
        XCTAssertEqual(discrete.status, NTKBridge.refusalStatus)
        XCTAssertTrue(discrete.standardError.contains("--inner discrete needs --inner-steps τ"), discrete.standardError)
        XCTAssertEqual(try run(sweep + ["--inner", "discrete", "--inner-steps", "2", "--out", "d"]).status, 0)
    }

    /// A sweep whose every point is undefined fails with one clear message (exit 64), keeps the
    /// table that says why, and runs no gnuplot.
    func testASweepWithEveryPointUndefinedFails() throws {
        // Deep erf with σ_w = 0.5, σ_b = 1: every kernel is constant to working precision, so
        // Θ_MTL is singular at t = ∞ at every depth.
        let result = try run(["closeness", "--tasks", taskFile, "--activation", "erf", "--w-std", "0.5", "--b-std", "1",
                              "--depths", "128,256", "--inner-times", "0.01,1", "--out", "u"])
        XCTAssertEqual(result.status, NTKBridge.refusalStatus, result.standardError)
        XCTAssertTrue(result.standardError.contains("Error: every distance of the sweep is undefined"), result.standardError)
        XCTAssertTrue(result.standardError.contains("--diag-reg"), "the failure is worded with flags: \(result.standardError)")
        XCTAssertFalse(result.standardError.contains("gnuplot"), result.standardError)
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch.path("u/closeness.csv")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("u/summary.csv")))
        // A figure of undefined points alone is refused before gnuplot runs.
        let plot = LinePlot(title: "nothing", xLabel: "x", yLabel: "y",
                            series: [LinePlot.Series(label: "a", points: [(1, .nan), (2, .nan)])])
        XCTAssertThrowsError(try plot.render(to: scratch.path("empty"))) {
            XCTAssertTrue("\($0)".contains("every point of \"nothing\" is undefined"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("empty.gp")))
    }

    /// convergence and cost draw their tasks from a family as `tasks` would with the same flags
    /// and --seed: the same results as on that task file.
    func testConvergenceAndCostAcceptAFamily() throws {
        let family = ["--family", "teacher", "--dim", "3", "--features", "8", "--train-tasks", "3", "--test-tasks", "2",
                      "--support", "3", "--query", "4", "--seed", "9"]
        XCTAssertEqual(try run(["tasks"] + family + ["--out", "drawn.json"]).status, 0)
        let convergence = ["convergence", "--methods", "mtl", "--widths", "8", "--seeds", "1", "--no-figures"] + finiteTraining
        let fromFamily = try run(convergence + family + ["--out", "cf"])
        XCTAssertEqual(fromFamily.status, 0, fromFamily.standardError)
        let fromFile = try run(convergence + ["--tasks", "drawn.json", "--seed", "9", "--out", "ct"])
        XCTAssertEqual(fromFile.status, 0, fromFile.standardError)
        func measured(_ folder: String) throws -> [[String]] {   // timings aside
            try CSVTable.read(scratch.path("\(folder)/convergence.csv")).rows.filter { !$0[3].contains("seconds") }
        }
        XCTAssertEqual(try measured("cf").count, 6)
        XCTAssertEqual(try measured("cf"), try measured("ct"))
        let cost = ["cost", "--methods", "mtl", "--width", "8", "--repeats", "1", "--evaluate-every", "2", "--validation-tasks", "1",
                    "--no-figures"] + finiteTraining
        let costFamily = try run(cost + family + ["--out", "kf"])
        XCTAssertEqual(costFamily.status, 0, costFamily.standardError)
        let costFile = try run(cost + ["--tasks", "drawn.json", "--seed", "9", "--out", "kt"])
        XCTAssertEqual(costFile.status, 0, costFile.standardError)
        XCTAssertEqual(try CSVTable.read(scratch.path("kf/curves.csv")).values(of: "validation_loss"),
                       try CSVTable.read(scratch.path("kt/curves.csv")).values(of: "validation_loss"))
        let both = try run(convergence + family + ["--tasks", "drawn.json", "--out", "cb"])
        XCTAssertEqual(both.status, NTKBridge.refusalStatus)
        XCTAssertTrue(both.standardError.contains("give exactly one of --family"), both.standardError)
    }

    /// Library errors name parameters; the command names them by flag.
    func testLibraryErrorsAreWordedWithFlags() throws {
        let error = TaskFamilyError.invalid(parameter: .ways, message: "must be at least 2, got 1")
        XCTAssertEqual(error.description, "the number of classes per task C must be at least 2, got 1")
        var rows = ""
        for k in 0..<12 { rows += "\(Double(k)),\(Double(k * k)),\(k % 4)\n" }
        let data = try scratch.write(rows, to: "d.csv")
        let result = try run(["tasks", "--family", "classification", "--data", data, "--ways", "1", "--train-tasks", "1",
                              "--test-tasks", "1", "--support", "1", "--query", "1", "--out", "c.json"])
        XCTAssertEqual(result.status, NTKBridge.refusalStatus)
        XCTAssertTrue(result.standardError.contains("Error: --ways must be at least 2, got 1"), result.standardError)
    }
}
