import FewShot
import Foundation
import LinearAlgebra
import Reports
import TestSupport
import XCTest

/// One test per reproducer of issue 8 (Docs/reliability.md): each crash is a clear refusal, each
/// data-loss path a refusal or an intact output.
final class ReliabilityTests: XCTestCase {
    private var scratch: ScratchDirectory!
    private var taskFile = ""

    override func setUpWithError() throws {
        scratch = try ScratchDirectory()
        taskFile = try scratch.writeSmallTeacherTasks(to: "T.json")
    }

    override func tearDown() { scratch.remove() }

    private let training = ["--depth", "1", "--activation", "relu", "--inner", "discrete", "--inner-rate", "0.1",
                            "--inner-steps", "1", "--meta-rate", "0.05", "--meta-steps", "3"]
    private let sinusoid = ["--family", "sinusoid", "--train-tasks", "3", "--test-tasks", "2", "--support", "3", "--query", "3"]

    /// Runs the command, expects a refusal (exit status 1 or 64, no crash signal) whose message
    /// contains every fragment, and returns stderr.
    @discardableResult
    private func refused(_ arguments: [String], _ fragments: [String], file: StaticString = #filePath,
                         line: UInt = #line) throws -> String {
        let result = try CommandRunner.run(arguments, in: scratch.url)
        XCTAssertTrue(result.status == 1 || result.status == 64, "status \(result.status): \(result.standardError)",
                      file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(result.standardError.contains(fragment), "'\(fragment)' not in: \(result.standardError)", file: file, line: line)
        }
        return result.standardError
    }

    private func succeeds(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> CommandRunner.Result {
        let result = try CommandRunner.run(arguments, in: scratch.url)
        XCTAssertEqual(result.status, 0, result.standardError, file: file, line: line)
        return result
    }

    // MARK: Crashes → refusals

    func testSeedPlusIndexWrapsInsteadOfTrapping() throws {
        try succeeds(["closeness"] + sinusoid + ["--activation", "relu", "--depths", "1", "--inner-times", "1",
                                                 "--seed", "18446744073709551615", "--seeds", "2", "--no-figures", "--out", "c"])
        XCTAssertEqual(Set(try CSVTable.read(scratch.path("c/closeness.csv")).values(of: "seed")), ["18446744073709551615", "0"])
        try succeeds(["convergence", "--tasks", taskFile, "--methods", "mtl", "--widths", "4", "--seed", "18446744073709551615",
                      "--seeds", "2", "--no-figures", "--out", "v"] + training)
        XCTAssertEqual(Set(try CSVTable.read(scratch.path("v/convergence.csv")).values(of: "seed")), ["18446744073709551615", "0"])
    }

    func testOversizeRequestsAreRefusedUpFront() throws {
        let finite = ["finite", "--tasks", taskFile, "--method", "mtl", "--out", "P.csv"]
        try refused(finite + training + ["--width", "4611686018427387904"], ["memory", "--width"])
        try refused(finite + training + ["--width", "1000000000"], ["memory", "--width"])
        try refused(finite + training.map { $0 == "1" ? "1000000000" : $0 } + ["--width", "8"], ["--depth must be ≤ 10000"])
        try refused(["tasks", "--family", "sinusoid", "--train-tasks", "1000000000", "--test-tasks", "1", "--support", "5",
                     "--query", "5", "--seed", "0", "--out", "T2.json"], ["memory", "--train-tasks"])
        try refused(["closeness"] + sinusoid + ["--activation", "relu", "--depths", "10000000", "--inner-times", "1", "--out", "c"],
                    ["≤ 10000"])
        try refused(["predict", "--tasks", taskFile, "--method", "mtl", "--depth", "1000000000", "--activation", "relu",
                     "--inner", "exact", "--out", "P.csv"], ["--depth must be ≤ 10000"])
        try refused(finite + training.map { $0 == "3" ? "1000000000000" : $0 } + ["--width", "8"], ["memory", "reduce --meta-steps"])
        let longInnerLoop = ["--depth", "1", "--activation", "relu", "--inner", "discrete", "--inner-rate", "0.1",
                             "--inner-steps", "1000000000", "--meta-rate", "0.05", "--meta-steps", "3"]
        try refused(finite + longInnerLoop + ["--width", "8"], ["memory", "reduce --inner-steps"])
        try refused(["tasks", "--family", "teacher", "--dim", "1000000000", "--features", "1000000000", "--train-tasks", "1",
                     "--test-tasks", "1", "--support", "1", "--query", "1", "--seed", "0", "--out", "T2.json"], ["memory", "--dim"])
        XCTAssertEqual(scratch.contents(), ["T.json"], "nothing written")
    }

    func testMemoryLimitNamesTheSizeNeeded() throws {
        let estimate = ResourceEstimate.finiteNetwork(points: 40, dimension: 3, width: 1e9, depth: 2, outputs: 1)
        XCTAssertThrowsError(try estimate.check(availableMemory: 24e9)) { error in
            XCTAssertTrue("\(error)".contains("the hidden width h"), "\(error)")
            XCTAssertTrue("\(error)".contains("TB") || "\(error)".contains("bytes"), "\(error)")
        }
        XCTAssertNoThrow(try ResourceEstimate.finiteNetwork(points: 40, dimension: 3, width: 64, depth: 2, outputs: 1)
            .check(availableMemory: 24e9))
    }

    // MARK: Messages

    func testNegativeWholeNumbersSayTheBound() throws {
        try refused(["predict", "--tasks", taskFile, "--method", "mtl", "--depth", "-1", "--activation", "relu", "--inner", "exact",
                     "--out", "P.csv"], ["--depth must be ≥ 1"])
        try refused(["finite", "--tasks", taskFile, "--method", "mtl", "--width", "4", "--seed", "-1", "--out", "P.csv"] + training,
                    ["--seed", "must be ≥ 0"])
        try refused(["tasks"] + sinusoid.map { $0 == "3" ? "-3" : $0 } + ["--seed", "0", "--out", "x.json"], ["must be ≥ 1"])
        try refused(["finite", "--tasks", taskFile, "--method", "mtl", "--width", "-4", "--out", "P.csv"] + training,
                    ["--width must be ≥ 1"])
    }

    func testSilentlyAcceptedFlagsAreRefused() throws {
        try refused(["tasks", "--family", "linear-rep", "--noise", "1e308", "--train-tasks", "3", "--test-tasks", "1", "--support", "3",
                     "--query", "3", "--seed", "0", "--out", "x.json"], ["--noise"])
        try refused(["cost", "--tasks", taskFile, "--width", "4", "--target-validation-loss", "nan", "--out", "c"] + training,
                    ["--target-validation-loss"])
        try refused(["tasks"] + sinusoid.map { $0 == "sinusoid" ? "teacher" : $0 } + ["--data", "d.csv", "--seed", "0", "--out", "x.json"],
                    ["--data", "classification"])
        try refused(["tasks", "--family", "linear-rep", "--rank", "100", "--dim", "4", "--train-tasks", "3", "--test-tasks", "1",
                     "--support", "3", "--query", "3", "--seed", "0", "--out", "x.json"], ["--rank 100", "--dim 4"])
        try refused(["closeness"] + sinusoid + ["--activation", "relu", "--depths", "1,1,1", "--inner-times", "1", "--out", "c"],
                    ["--depths", "more than once"])
        // A repeated option is warned about (the last value wins, so flag files can override others).
        let repeated = try succeeds(["finite", "--tasks", taskFile, "--method", "mtl", "--width", "4", "--out", "P.csv", "--depth", "2"]
                                    + training)
        XCTAssertTrue(repeated.standardError.contains("warning: --depth is given 2 times (2, 1); the last one is used"),
                      repeated.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("x.json")))
        // Activation names are case-insensitive (documented): RELU is relu, bit for bit.
        try succeeds(["predict", "--tasks", taskFile, "--method", "mtl", "--depth", "1", "--activation", "RELU", "--inner", "exact",
                      "--out", "upper.csv"])
        try succeeds(["predict", "--tasks", taskFile, "--method", "mtl", "--depth", "1", "--activation", "relu", "--inner", "exact",
                      "--out", "lower.csv"])
        XCTAssertEqual(FileManager.default.contents(atPath: scratch.path("upper.csv")),
                       FileManager.default.contents(atPath: scratch.path("lower.csv")))
    }

    func testCollapsedInputsAreRefused() throws {
        try refused(["tasks"] + sinusoid + ["--x-scale", "1e-200", "--seed", "0", "--out", "x.json"], ["--x-scale", "zero norm"])
        try refused(["tasks"] + sinusoid + ["--x-scale", "1e300", "--seed", "0", "--out", "x.json"], ["--x-scale", "the same point"])
        try refused(["closeness"] + sinusoid + ["--x-scale", "1e300", "--activation", "relu", "--depths", "1", "--inner-times", "1",
                                                "--out", "c"], ["--x-scale", "the same point"])
        try succeeds(["tasks"] + sinusoid + ["--x-scale", "1e6", "--seed", "0", "--out", "ok.json"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("x.json")))
    }

    // MARK: Data loss → refusal or intact output

    func testOutputsNeverOverwriteInputsOrEachOther() throws {
        let original = try XCTUnwrap(FileManager.default.contents(atPath: taskFile))
        try refused(["predict", "--tasks", "T.json", "--method", "mtl", "--depth", "1", "--activation", "relu", "--inner", "exact",
                     "--out", "T.json"], ["--out T.json would overwrite the input --tasks T.json"])
        try refused(["finite", "--tasks", "T.json", "--method", "mtl", "--width", "4", "--out", "P.csv", "--log", "T.json"] + training,
                    ["--log T.json would overwrite"])
        try refused(["finite", "--tasks", "T.json", "--method", "mtl", "--width", "4", "--out", "same.csv", "--log", "./same.csv"]
                    + training, ["name the same file"])
        try FileManager.default.createSymbolicLink(atPath: scratch.path("link.json"), withDestinationPath: "T.json")
        XCTAssertEqual(link(taskFile, scratch.path("hard.json")), 0)
        for alias in ["link.json", "hard.json", "sub/../T.json"] {
            try refused(["predict", "--tasks", "T.json", "--method", "mtl", "--depth", "1", "--activation", "relu", "--inner", "exact",
                         "--out", alias], ["would overwrite the input --tasks T.json"])
        }
        try refused(["convergence", "--tasks", "v/convergence.csv", "--widths", "4", "--out", "v"] + training, ["would overwrite"])
        XCTAssertEqual(FileManager.default.contents(atPath: taskFile), original, "the task file is intact")
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("same.csv")))
    }

    /// A kernel folder is one unit: a rerun with other depths or format leaves no stale files, a
    /// foreign file survives, and a failed write leaves the old folder exactly as it was.
    func testKernelFolderIsReplacedAsOneUnit() throws {
        let x = try scratch.write("1,2\n3,4\n0.5,-1\n", to: "x.csv")
        let kernel = ["kernel", "--x1", x, "--activation", "relu", "--out", "K"]
        try succeeds(kernel + ["--depths", "1,2"])
        try "mine".write(toFile: scratch.path("K/notes.txt"), atomically: true, encoding: .utf8)
        try succeeds(kernel + ["--depth", "1", "--format", "npy"])
        let names = try FileManager.default.contentsOfDirectory(atPath: scratch.path("K")).sorted()
        XCTAssertEqual(names, [".ntkbridge-manifest", "body.npy", "head.npy", "nngp.npy", "notes.txt", "ntk.npy"])
        XCTAssertEqual(try String(contentsOfFile: scratch.path("K/.ntkbridge-manifest"), encoding: .utf8),
                       "body.npy\nhead.npy\nnngp.npy\nntk.npy\n")
        XCTAssertEqual(try String(contentsOfFile: scratch.path("K/notes.txt"), encoding: .utf8), "mine")
        let before = FolderSnapshot(scratch.path("K"))
        struct Failure: Error {}
        XCTAssertThrowsError(try AtomicOutput.writeDirectory(at: scratch.path("K")) { staging in
            try "partial".write(toFile: staging + "/nngp.csv", atomically: false, encoding: .utf8)
            throw Failure()
        })
        XCTAssertEqual(FolderSnapshot(scratch.path("K")), before, "a failed write changes nothing")
        // An input inside the folder would be replaced with it: refused.
        try scratch.write("1,2\n3,4\n0.5,-1\n", to: "K/x.csv")
        try refused(["kernel", "--x1", "K/x.csv", "--depth", "1", "--activation", "relu", "--out", "K"], ["lies inside the output folder"])
        XCTAssertEqual(scratch.contents().filter { $0.hasPrefix(".") }, [], "no staging left")
    }

    func testStaleStagingOfDeadProcessesIsRemoved() throws {
        let dead = try deadProcessID()
        for name in [".K.tmp-\(dead)-7", ".P.csv.tmp-\(dead)-9"] {
            try FileManager.default.createDirectory(atPath: scratch.path(name), withIntermediateDirectories: true)
        }
        let live = ".K.tmp-\(getpid())-3"   // this test process is alive: its staging stays
        try FileManager.default.createDirectory(atPath: scratch.path(live), withIntermediateDirectories: true)
        let x = try scratch.write("1,2\n3,4\n", to: "x.csv")
        try succeeds(["kernel", "--x1", x, "--depth", "1", "--activation", "relu", "--out", "K"])
        try succeeds(["predict", "--tasks", taskFile, "--method", "mtl", "--depth", "1", "--activation", "relu", "--inner", "exact",
                      "--out", "P.csv"])
        XCTAssertEqual(scratch.contents().filter { $0.hasPrefix(".") }, [live])
    }

    func testResumeIsKeyedByTaskFileContent() throws {
        let run = ["convergence", "--tasks", "T.json", "--methods", "mtl", "--widths", "4", "--seeds", "1", "--no-figures",
                   "--out", "v"] + training
        try succeeds(run)
        let table = try XCTUnwrap(FileManager.default.contents(atPath: scratch.path("v/convergence.csv")))
        try scratch.writeSmallTeacherTasks(seed: 10, to: "T.json")
        try refused(run, ["the content of --tasks", "another configuration"])
        XCTAssertEqual(FileManager.default.contents(atPath: scratch.path("v/convergence.csv")), table)
        // The same content under another path resumes.
        try FileManager.default.moveItem(atPath: taskFile, toPath: scratch.path("moved.json"))
        try scratch.writeSmallTeacherTasks(to: "again.json")
        let resumed = try succeeds(run.map { $0 == "T.json" ? "again.json" : $0 })
        XCTAssertTrue(resumed.standardError.contains("already in"), resumed.standardError)
        // closeness names the differing list and does not claim the swept list may change.
        let closeness = ["closeness"] + sinusoid + ["--activation", "relu", "--inner-times", "1", "--no-figures", "--out", "c"]
        try succeeds(closeness + ["--depths", "1,2"])
        let message = try refused(closeness + ["--depths", "1,3"], ["--depths was 1,2 and is now 1,3"])
        XCTAssertFalse(message.contains("the list being swept"), message)
    }

    // MARK: Signals, kill and resume

    func testInterruptRemovesStagingAndSaysWhatWasKept() throws {
        for (signalNumber, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            let out = "c-\(name)"
            let process = try spawn(["closeness", "--family", "sinusoid", "--train-tasks", "10", "--test-tasks", "4", "--support", "8",
                                     "--query", "8", "--activation", "relu", "--depths", "1,2,4,8", "--inner-times", "0.1,1",
                                     "--seeds", "40", "--no-figures", "--out", out], in: scratch.url)
            try waitFor(scratch.path(out + "/closeness.csv"), process: process)
            XCTAssertTrue(process.isRunning, "the sweep is still running when interrupted")
            kill(process.processIdentifier, signalNumber)
            process.waitUntilExit()
            let stderr = String(decoding: (process.standardError as! Pipe).fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            XCTAssertEqual(process.terminationStatus, 128 + signalNumber, stderr)
            let line = try XCTUnwrap(stderr.split(separator: "\n").last { $0.contains("interrupted") }.map(String.init))
            XCTAssertTrue(line.contains("interrupted by \(name)") && line.contains("kept") && line.contains(out + "/closeness.csv"), line)
            let leftovers = (try FileManager.default.contentsOfDirectory(atPath: scratch.path(out))).filter { $0.hasPrefix(".") }
            XCTAssertEqual(leftovers, [], "no staging left after \(name)")
            XCTAssertNoThrow(try CSVTable.read(scratch.path(out + "/closeness.csv")), "the kept table is whole")
        }
    }

    func testClosenessKilledAndResumedMatchesAnUninterruptedRun() throws {
        let arguments = ["closeness", "--family", "sinusoid", "--train-tasks", "10", "--test-tasks", "4", "--support", "8",
                         "--query", "8", "--activation", "relu", "--depths", "1,2,4,8", "--inner-times", "0.1,1", "--seeds", "4",
                         "--no-figures", "--out", "c"]
        try killAndResume(arguments, table: "c/closeness.csv", wallClock: { _ in false })
    }

    func testConvergenceKilledAndResumedMatchesAnUninterruptedRun() throws {
        let arguments = ["convergence", "--tasks", "../T.json", "--methods", "mtl,anil", "--widths", "64,128,256", "--seeds", "3",
                         "--no-figures", "--out", "v"] + training.map { $0 == "3" ? "40" : $0 }
        // Columns width,seed,method,quantity,value: the training wall time is the only clock.
        try killAndResume(arguments, table: "v/convergence.csv", wallClock: { $0.contains("seconds") })
    }

    /// Runs `arguments` uninterrupted in one folder; in another, SIGKILLs it once the table
    /// exists and reruns it. The tables must be byte-identical apart from wall-clock rows.
    private func killAndResume(_ arguments: [String], table: String, wallClock: (String) -> Bool) throws {
        let whole = scratch.url.appendingPathComponent("whole"), resumed = scratch.url.appendingPathComponent("resumed")
        for folder in [whole, resumed] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        XCTAssertEqual(try CommandRunner.run(arguments, in: whole).status, 0)
        let process = try spawn(arguments, in: resumed)
        try waitFor(resumed.appendingPathComponent(table).path, process: process)
        let killedMidRun = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertTrue(killedMidRun, "the run was still going when killed (make the sweep longer if this fails)")
        let partial = try CSVTable.read(resumed.appendingPathComponent(table).path)
        let complete = try CSVTable.read(whole.appendingPathComponent(table).path)
        XCTAssertLessThan(partial.rows.count, complete.rows.count, "the kill left a partial table")
        let rerun = try CommandRunner.run(arguments, in: resumed)
        XCTAssertEqual(rerun.status, 0, rerun.standardError)
        XCTAssertTrue(rerun.standardError.contains("already in"), rerun.standardError)
        func lines(_ folder: URL) throws -> [String] {
            try String(contentsOf: folder.appendingPathComponent(table), encoding: .utf8).split(separator: "\n")
                .map(String.init).filter { !wallClock($0) }
        }
        XCTAssertEqual(try lines(resumed), try lines(whole))
        let folder = resumed.appendingPathComponent(table).deletingLastPathComponent().path
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix(".") }, [],
                       "the killed run's staging was removed by the rerun")
    }

    private func spawn(_ arguments: [String], in directory: URL) throws -> Process {
        let process = Process()
        process.executableURL = CommandRunner.executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = Pipe()
        try process.run()
        return process
    }

    /// Polls until `path` exists (the first table write) or the process ends (at most 120 s).
    private func waitFor(_ path: String, process: Process) throws {
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: path) && process.isRunning && Date() < deadline { usleep(2_000) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: path), "\(path) was written")
    }

    /// The id of a process that has exited.
    private func deadProcessID() throws -> pid_t {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }
}

/// Every file under a folder with its bytes, for comparing a folder before and after.
struct FolderSnapshot: Equatable {
    let files: [String: Data]

    init(_ root: String) {
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            if let data = FileManager.default.contents(atPath: root + "/" + relative) { files[relative] = data }
        }
        self.files = files
    }
}
