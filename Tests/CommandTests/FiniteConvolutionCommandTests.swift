import FewShot
import Foundation
import LinearAlgebra
import Reports
import TestSupport
import XCTest

/// `finite`, `convergence` and `cost` on convolutional networks (`--conv`, `--image`,
/// `--padding`, `--readout`, `--width` = channels), end to end through the command line.
final class FiniteConvolutionCommandTests: XCTestCase {
    private var scratch: ScratchDirectory!
    private var taskFile = ""

    /// Teacher tasks whose 16 inputs are 4×4×1 images (3 training, 2 test tasks, 3 + 4 points, k = 2).
    override func setUpWithError() throws {
        scratch = try ScratchDirectory()
        let tasks = try TaskFamily.teacher(dimension: 16, outputs: 2, features: 8)
            .tasks(trainTasks: 3, testTasks: 2, support: 3, query: 4, seed: 4)
        taskFile = try scratch.write(tasks.taskFileText(), to: "T.json")
    }

    override func tearDown() { scratch.remove() }

    private let training = ["--activation", "relu", "--inner", "discrete", "--inner-rate", "0.05", "--inner-steps", "2",
                            "--meta-rate", "0.01", "--meta-steps", "3"]

    /// Every method trains a conv network and writes one prediction row per test query point
    /// (2 tasks × 4 points, columns task, point, y0, y1), finite, with the training curve.
    func testFiniteTrainsConvolutionalNetworksWithEveryMethod() throws {
        for (method, extra) in [("mtl", ["--readout", "gap"]), ("anil", ["--padding", "circular"]), ("maml", []),
                                ("fomaml", ["--readout", "gap", "--padding", "circular"])] {
            let out = "P-\(method).csv", log = "L-\(method).csv"
            let result = try CommandRunner.run(["finite", "--tasks", taskFile, "--method", method, "--conv", "3x3",
                                                "--image", "4x4x1", "--width", "16", "--depth", "2"] + extra + training
                                                + ["--out", out, "--log", log], in: scratch.url)
            XCTAssertEqual(result.status, 0, "\(method): \(result.standardError)")
            XCTAssertTrue(result.standardOutput.contains("test_mse"), "\(method): \(result.standardOutput)")
            let rows = try String(contentsOfFile: scratch.path(out), encoding: .utf8)
                .split(separator: "\n").filter { !$0.hasPrefix("#") }
            XCTAssertEqual(rows.first, "task,point,y0,y1", method)
            XCTAssertEqual(rows.count, 1 + 2 * 4, method)
            for row in rows.dropFirst() {
                XCTAssertTrue(row.split(separator: ",").dropFirst(2).allSatisfy { Double($0)?.isFinite == true }, "\(method): \(row)")
            }
            let curve = try String(contentsOfFile: scratch.path(log), encoding: .utf8)
                .split(separator: "\n").filter { !$0.hasPrefix("#") }
            XCTAssertEqual(curve.count, 1 + 4, "\(method): steps 0 … 3")
        }
    }

    /// Task inputs that are not --image images, and a divergent inner rate on the conv network's
    /// own kernels, are refused naming the flag, with no output written.
    func testFiniteRefusesBadConvolutionalRuns() throws {
        let base = ["finite", "--tasks", taskFile, "--method", "anil", "--conv", "3x3", "--width", "8", "--depth", "1"]
        let cases: [([String], [String])] = [
            (base + ["--image", "3x3x1"] + training, ["--image", "--tasks", "9", "16"]),
            (base + ["--image", "4x4x1"] + training.map { $0 == "0.05" ? "500" : $0 }, ["--inner-rate", "at most"]),
            (base.map { $0 == "8" ? "1000000" : $0 } + ["--image", "4x4x1"] + training, ["memory", "--width"]),
        ]
        for (k, (arguments, fragments)) in cases.enumerated() {
            let out = "bad-\(k).csv"
            let result = try CommandRunner.run(arguments + ["--out", out], in: scratch.url)
            XCTAssertNotEqual(result.status, 0, "\(arguments) was accepted")
            for fragment in fragments {
                XCTAssertTrue(result.standardError.contains(fragment), "'\(fragment)' missing from: \(result.standardError)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path(out)))
        }
    }

    /// The memory estimate of a conv run counts the filters' weights (9·c² per hidden layer, not
    /// the dense c²) and the Jacobian of the empirical kernels (points × parameters).
    func testConvolutionalMemoryEstimateCountsFiltersAndTheJacobian() {
        let (points, c) = (20.0, 512.0)
        let estimate = ResourceEstimate.finiteConvolutionalNetwork(points: points, pixels: 784, filterSize: 9, imageChannels: 1,
                                                                   channels: c, depth: 2, features: 784 * c, outputs: 1)
        let parameters = 9 * c + 9 * c * c + 2 * c + 784 * c + 1
        XCTAssertGreaterThanOrEqual(estimate.memoryBytes, 8 * (12 * parameters + points * parameters))
        let dense = ResourceEstimate.finiteNetwork(points: points, dimension: 784, width: c, depth: 2, outputs: 1)
        XCTAssertGreaterThan(estimate.memoryBytes, 4 * dense.memoryBytes)
    }

    /// The convergence study on conv networks: the empirical NTK against the CNTK at
    /// initialisation and each trained method against its CNTK predictor, for every width.
    func testConvergenceStudiesConvolutionalNetworksAgainstTheCNTK() throws {
        let result = try CommandRunner.run(["convergence", "--tasks", taskFile, "--methods", "mtl,anil,maml", "--conv", "3x3",
                                            "--image", "4x4x1", "--widths", "8,32", "--seeds", "2", "--depth", "1"] + training
                                            + ["--out", "C"], in: scratch.url)
        XCTAssertEqual(result.status, 0, result.standardError)
        let summary = try String(contentsOfFile: scratch.path("C/summary.csv"), encoding: .utf8)
        for curve in ["ntk_at_init", "nngp_at_init", "mtl_vs_kernel", "anil_vs_kernel", "maml_vs_kernel"] {
            let rows = summary.split(separator: "\n").filter { $0.hasPrefix("\(curve),") }
            XCTAssertEqual(rows.count, 2, "\(curve): \(summary)")
            for row in rows {
                let median = Double(row.split(separator: ",")[2])
                XCTAssertTrue(median.map { $0.isFinite && $0 > 0 } ?? false, "\(curve): \(row)")
            }
        }
    }

    /// The cost study on a conv network writes its per-method table.
    func testCostStudiesConvolutionalNetworks() throws {
        let tasks = try TaskFamily.teacher(dimension: 16, outputs: 1, features: 8)
            .tasks(trainTasks: 5, testTasks: 1, support: 3, query: 3, seed: 6)
        let file = try scratch.write(tasks.taskFileText(), to: "T5.json")
        let result = try CommandRunner.run(["cost", "--tasks", file, "--conv", "3x3", "--image", "4x4x1", "--readout", "gap",
                                            "--width", "8", "--depth", "1", "--repeats", "1", "--validation-tasks", "1",
                                            "--activation", "relu", "--inner", "discrete", "--inner-rate", "0.05",
                                            "--inner-steps", "2", "--meta-steps", "3", "--out", "K"], in: scratch.url)
        XCTAssertEqual(result.status, 0, result.standardError)
        let cost = try String(contentsOfFile: scratch.path("K/cost.csv"), encoding: .utf8)
        for method in ["mtl", "anil", "maml", "fomaml"] {
            XCTAssertTrue(cost.split(separator: "\n").contains { $0.hasPrefix("\(method),") }, "\(method): \(cost)")
        }
    }
}
