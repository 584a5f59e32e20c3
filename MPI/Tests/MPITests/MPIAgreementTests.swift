import Foundation
import XCTest

/// `ntkbridge-mpi` under `mpirun` over loopback against the serial `ntkbridge`, on the reference
/// vectors of Tests/Fixtures: kernel files bit-identical (-np 2 .npy, -np 4 .csv), predictions
/// within 1e-10 (-np 4 on a 2 × 2 grid, -np 2 on a 1 × 2 grid), refusals, and a dying rank.
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

    func testKernelFilesAreBitIdenticalToTheSerialCommand() throws {
        for (name, kase) in try cases("kernels") {
            for (processes, format) in [(2, "npy"), (4, "csv")] {
                let serialOut = "\(name)-serial-\(format)", parallelOut = "\(name)-np\(processes)-\(format)"
                let serial = try run(Self.serial, try kernelArguments(name, kase, out: serialOut) + ["--format", format])
                XCTAssertEqual(serial.status, 0, serial.output)
                let parallel = try mpirun(processes, try kernelArguments(name, kase, out: parallelOut) + ["--format", format])
                XCTAssertEqual(parallel.status, 0, parallel.output)
                for kernel in ["nngp", "ntk", "head", "body"] {
                    let a = try Data(contentsOf: scratch.appendingPathComponent("\(serialOut)/\(kernel).\(format)"))
                    let b = try Data(contentsOf: scratch.appendingPathComponent("\(parallelOut)/\(kernel).\(format)"))
                    XCTAssertGreaterThan(a.count, 16)
                    XCTAssertTrue(a == b, "\(name) \(kernel).\(format) under -np \(processes) differs from the serial file")
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
            // -np 4: the default 2 × 2 grid; -np 2: the default 1 × 2 and, for three cases, 2 × 1 given.
            let layouts: [(Int, [String])] = [(4, []), (2, [])] + (["p01", "p03", "p04"].contains(name) ? [(2, ["--grid", "2x1"])] : [])
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
    }
}
