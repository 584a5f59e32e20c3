import Foundation
import XCTest

/// `ntkbridge-mpi` under `mpirun` over loopback against the serial `ntkbridge`, on the reference
/// vectors of Tests/Fixtures: kernel files bit-identical (-np 2 on a 1 × 2 grid and -np 4 on a
/// 2 × 2 grid as .npy written by MPI-IO, -np 4 as .csv, -np 3 on a 1 × 3 grid, and 300 random
/// points on 2 × 2 and 3 × 1 grids), predictions within 1e-10 (-np 4 on a 2 × 2 grid, -np 2 on a
/// 1 × 2 grid), convolutional kernels, refusals, and a dying rank.
final class MPIAgreementTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let serial = root.appendingPathComponent(".build/release/ntkbridge").path
    static let parallel = root.appendingPathComponent("MPI/.build/release/ntkbridge-mpi").path
    static let fixtures = root.appendingPathComponent("Tests/Fixtures")

    private var scratch: URL!

    override func setUpWithError() throws {
        for binary in [Self.serial, Self.parallel] where !FileManager.default.isExecutableFile(atPath: binary) {
            XCTFail("\(binary) is not built (run `make mpi`, which builds both)")
        }
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ntkbridge-mpi-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: scratch) }

    struct Result { let status: Int32; let output: String }

    @discardableResult
    private func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = scratch
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    private func mpirun(_ processes: Int, _ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        try run("/usr/bin/mpirun", ["--allow-run-as-root", "--oversubscribe", "-np", "\(processes)", Self.parallel] + arguments,
                environment: environment)
    }

    private func cases(_ folder: String) throws -> [(String, [String: Any])] {
        let directory = Self.fixtures.appendingPathComponent(folder)
        return try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
            .map { name in
                let data = try Data(contentsOf: directory.appendingPathComponent(name))
                return (String(name.prefix(3)), try JSONSerialization.jsonObject(with: data) as! [String: Any])
            }
    }

    private func writeCSV(_ rows: [[Double]], _ name: String) throws -> String {
        let path = scratch.appendingPathComponent(name).path
        try rows.map { $0.map { "\($0)" }.joined(separator: ",") + "\n" }.joined().write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The kernel case's command line with its inputs written and `{out}` replaced.
    private func kernelArguments(_ name: String, _ kase: [String: Any], out: String) throws -> [String] {
        let inputs = kase["inputs"] as! [String: Any]
        let x1 = try writeCSV(inputs["x1"] as! [[Double]], "\(name)_x1.csv")
        let x2 = try (inputs["x2"] as? [[Double]]).map { try writeCSV($0, "\(name)_x2.csv") } ?? ""
        return (kase["cli_args"] as! [String]).map {
            $0.replacingOccurrences(of: "{x1}", with: x1).replacingOccurrences(of: "{x2}", with: x2)
                .replacingOccurrences(of: "{out}", with: scratch.appendingPathComponent(out).path)
        }
    }

    private func assertSameFiles(_ serialOut: String, _ parallelOut: String, format: String, _ what: String) throws {
        for kernel in ["nngp", "ntk", "head", "body"] {
            let a = try Data(contentsOf: scratch.appendingPathComponent("\(serialOut)/\(kernel).\(format)"))
            let b = try Data(contentsOf: scratch.appendingPathComponent("\(parallelOut)/\(kernel).\(format)"))
            XCTAssertGreaterThan(a.count, 16)
            XCTAssertTrue(a == b, "\(what): \(kernel).\(format) differs from the serial file")
        }
    }

    func testKernelFilesAreBitIdenticalToTheSerialCommand() throws {
        for (index, (name, kase)) in try cases("kernels").enumerated() {
            // Every case as .npy on 1 × 2 and 2 × 2 grids; every third on a 1 × 3 grid (a non-square
            // count), and another third as .csv on 2 × 2.
            var layouts: [(Int, String)] = [(2, "npy"), (4, "npy")]
            if index % 3 == 0 { layouts.append((3, "npy")) }
            if index % 3 == 1 { layouts.append((4, "csv")) }
            for format in Set(layouts.map(\.1)) {
                let serial = try run(Self.serial, try kernelArguments(name, kase, out: "\(name)-serial-\(format)") + ["--format", format])
                XCTAssertEqual(serial.status, 0, serial.output)
            }
            for (processes, format) in layouts {
                let parallelOut = "\(name)-np\(processes)-\(format)"
                let parallel = try mpirun(processes, try kernelArguments(name, kase, out: parallelOut) + ["--format", format])
                XCTAssertEqual(parallel.status, 0, parallel.output)
                try assertSameFiles("\(name)-serial-\(format)", parallelOut, format: format, "\(name) under -np \(processes)")
            }
        }
    }

    /// Convolutional kernels (computed whole by every process, which keeps its tiles) on a 2 × 2 grid.
    func testConvolutionalKernelFilesAreBitIdentical() throws {
        for (name, kase) in try cases("conv-kernels").prefix(3) {
            XCTAssertEqual(try run(Self.serial, try kernelArguments(name, kase, out: "\(name)-serial") + ["--format", "npy"]).status, 0)
            let parallel = try mpirun(4, try kernelArguments(name, kase, out: "\(name)-np4") + ["--format", "npy"])
            XCTAssertEqual(parallel.status, 0, parallel.output)
            try assertSameFiles("\(name)-serial", "\(name)-np4", format: "npy", "\(name) under -np 4")
        }
    }

    /// 300 random points (two inner-product tiles of 256 columns, blocks of 76 on a 2 × 2 grid that
    /// cut the 32-row product blocks and the 4-wide lanes): symmetric and cross kernels at two
    /// depths, on 2 × 2 and 3 × 1 grids.
    func testLargerKernelsAreBitIdenticalOnTwoDimensionalGrids() throws {
        var generator = SystemRandomNumberGenerator()
        let x1 = try writeCSV((0..<300).map { _ in (0..<5).map { _ in Double.random(in: -1...1, using: &generator) } }, "big_x1.csv")
        let x2 = try writeCSV((0..<130).map { _ in (0..<5).map { _ in Double.random(in: -1...1, using: &generator) } }, "big_x2.csv")
        for (label, inputs) in [("symmetric", ["--x1", x1]), ("cross", ["--x1", x1, "--x2", x2])] {
            func arguments(_ out: String) -> [String] {
                ["kernel"] + inputs + ["--depths", "1,3", "--activation", "relu", "--b-std", "0.1", "--format", "npy",
                                       "--out", scratch.appendingPathComponent(out).path]
            }
            XCTAssertEqual(try run(Self.serial, arguments("\(label)-serial")).status, 0)
            for (processes, grid) in [(4, "2x2"), (3, "3x1")] {
                let out = "\(label)-np\(processes)"
                let result = try mpirun(processes, arguments(out) + ["--grid", grid])
                XCTAssertEqual(result.status, 0, result.output)
                for depth in [1, 3] {
                    try assertSameFiles("\(label)-serial/depth-\(depth)", "\(out)/depth-\(depth)", format: "npy",
                                        "\(label) depth \(depth) on a \(grid) grid")
                }
            }
        }
    }

    private func predictions(_ path: String) throws -> [[Double]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",").dropFirst(2).map { Double($0)! } }
    }

    /// Distributed Cholesky and eigensolvers sum in another order than LAPACK: agreement to 1e-10
    /// relative to the largest prediction (the cases' Φ and Θ_MTL have condition numbers ≲ 1e4, so
    /// round-off differences stay near 1e-12).
    func testPredictionsAgreeWithTheSerialCommand() throws {
        var worst = 0.0
        for (name, kase) in try cases("predictors") {
            let tasks = scratch.appendingPathComponent("\(name)_tasks.json").path
            try JSONSerialization.data(withJSONObject: kase["tasks"]!).write(to: URL(fileURLWithPath: tasks))
            // -np 4: the default 2 × 2 grid, every case; -np 2: the default 1 × 2 for every other case,
            // and 2 × 1 given for three cases.
            let odd = (Int(name.dropFirst()) ?? 0) % 2 == 1
            let layouts: [(Int, [String])] = [(4, [])] + (odd ? [(2, [])] : [])
                + (["p01", "p04", "p08"].contains(name) ? [(2, ["--grid", "2x1"])] : [])
            for run in kase["runs"] as! [[String: Any]] {
                let method = run["method"] as! String
                func arguments(_ out: String) -> [String] {
                    (run["cli_args"] as! [String]).map {
                        $0.replacingOccurrences(of: "{tasks}", with: tasks)
                            .replacingOccurrences(of: "{out}", with: scratch.appendingPathComponent(out).path)
                    }
                }
                let serialOut = "\(name)-\(method)-serial.csv"
                XCTAssertEqual(try self.run(Self.serial, arguments(serialOut)).status, 0)
                let expected = try predictions(scratch.appendingPathComponent(serialOut).path)
                let scale = expected.flatMap { $0 }.map(abs).max()!
                for (processes, grid) in layouts {
                    let out = "\(name)-\(method)-np\(processes).csv"
                    let result = try mpirun(processes, arguments(out) + grid)
                    XCTAssertEqual(result.status, 0, "\(name) \(method) -np \(processes): \(result.output)")
                    let actual = try predictions(scratch.appendingPathComponent(out).path)
                    XCTAssertEqual(actual.count, expected.count)
                    let error = zip(actual, expected).flatMap { zip($0, $1).map { abs($0 - $1) } }.max()! / scale
                    worst = max(worst, error)
                    XCTAssertLessThan(error, 1e-10, "\(name) \(method) -np \(processes)")
                }
            }
        }
        print("MPI predict: worst relative difference from the serial command \(worst)")
    }

    func testNonSquareProcessCountIsRefusedNamingTheCountsThatWork() throws {
        let (name, kase) = try cases("predictors")[0]
        let tasks = scratch.appendingPathComponent("\(name)_tasks.json").path
        try JSONSerialization.data(withJSONObject: kase["tasks"]!).write(to: URL(fileURLWithPath: tasks))
        let run = (kase["runs"] as! [[String: Any]])[0]
        let arguments = (run["cli_args"] as! [String]).map {
            $0.replacingOccurrences(of: "{tasks}", with: tasks).replacingOccurrences(of: "{out}", with: "p.csv")
        }
        let refused = try mpirun(2, arguments + ["--grid", "square"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.output.contains("square number of processes") && refused.output.contains("run with 1 or 4")
                      && refused.output.contains("--grid 1x2"), refused.output)
        let mismatch = try mpirun(2, arguments + ["--grid", "2x2"])
        XCTAssertNotEqual(mismatch.status, 0)
        XCTAssertTrue(mismatch.output.contains("holds 4 processes but the job has 2"), mismatch.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("p.csv").path))

        let (kernelName, kernelCase) = try cases("kernels")[0]
        let three = try mpirun(3, try kernelArguments(kernelName, kernelCase, out: "k3") + ["--grid", "square"])
        XCTAssertNotEqual(three.status, 0)
        XCTAssertTrue(three.output.contains("got 3; run with 1 or 4 processes") && three.output.contains("--grid 1x3"), three.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("k3").path))
    }

    /// A rank that dies while the files are being written fails the job, and the output folder
    /// never appears (the staging folder is not renamed into place).
    func testDyingRankLeavesNoOutput() throws {
        let (name, kase) = try cases("kernels")[0]
        let result = try mpirun(2, try kernelArguments(name, kase, out: "dead") + ["--format", "npy"],
                                environment: ["NTKBRIDGE_MPI_FAIL_RANK": "1"])
        XCTAssertNotEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains("dying at write"), result.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("dead").path))

        // A rank of four dying before the distributed predictor: no predictions file.
        let (predictorName, predictorCase) = try cases("predictors")[0]
        let tasks = scratch.appendingPathComponent("\(predictorName)_tasks.json").path
        try JSONSerialization.data(withJSONObject: predictorCase["tasks"]!).write(to: URL(fileURLWithPath: tasks))
        let arguments = ((predictorCase["runs"] as! [[String: Any]])[0]["cli_args"] as! [String]).map {
            $0.replacingOccurrences(of: "{tasks}", with: tasks)
                .replacingOccurrences(of: "{out}", with: scratch.appendingPathComponent("dead.csv").path)
        }
        let predict = try mpirun(4, arguments, environment: ["NTKBRIDGE_MPI_FAIL_RANK": "3", "NTKBRIDGE_MPI_FAIL_STAGE": "predict"])
        XCTAssertNotEqual(predict.status, 0, predict.output)
        XCTAssertTrue(predict.output.contains("dying at predict"), predict.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("dead.csv").path))
    }
}
