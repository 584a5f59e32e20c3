import Datasets
import FewShot
import Foundation
import LinearAlgebra

/// The Omniglot benchmark's speed targets (issue 12), each beside a reference measured in the
/// same run:
/// - task generation, N = 200 training tasks, 20-way 1-shot 1-query, S = 21, plus the 20 runs
///   (target under 2 s), beside reading the three archives' bytes and copying the generated
///   inputs in memory; the JSON task file's writing and reading are shown for scale;
/// - loading that task set as a binary `.npz` task file (target ≥ 200 MB/s), beside a plain read
///   of the same bytes;
/// - the kernel-FC part of `Experiments/omniglot/run.sh` (target under 60 s on 2 cores): that
///   script itself with `PARTS=fc` and `.npz` task files, beside the same commands on JSON task
///   files (the previous form of the script).
enum OmniglotBenchmark {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func run(tasks n: Int = 200, kernelPart: Bool = true) throws {
        let directory = root.appendingPathComponent("Experiments/data/omniglot").path
        let family = try OmniglotTaskFamily(directory: directory, imageSize: 21, ways: 20, support: 1, query: 1)
        var taskSet: TaskSet?
        let generation = try Timing.best { taskSet = try family.tasks(trainTasks: n, seed: 1) }
        let archives = ["images_background_small1.zip", "images_background_small2.zip", "all_runs.zip"]
        var archiveBytes = 0
        let read = try Timing.best {
            archiveBytes = try archives.reduce(0) { $0 + (try Data(contentsOf: URL(fileURLWithPath: directory + "/" + $1))).count }
        }
        let tasks = taskSet!.train + taskSet!.test
        let inputs = tasks.flatMap { [$0.supportInputs, $0.queryInputs] }
        let inputBytes = inputs.reduce(0) { $0 + $1.rows * $1.columns * 8 }
        let copy = Timing.best { _ = inputs.map { $0.map { $0 } } }
        // Once each (they take seconds): for scale, not a target.
        var start = Timing.now()
        let text = taskSet!.taskFileText()
        let write = Timing.now() - start
        start = Timing.now()
        _ = try TaskSet(taskFileText: text, source: "benchmark")
        let parse = Timing.now() - start
        let images = inputs.reduce(0) { $0 + $1.rows }
        print("omniglot tasks: N = \(n) training tasks, 20-way 1-shot 1-query, S = 21, and the 20 runs (\(images) images)")
        print("  task generation (unzip, PNG decode, block means, standardize)   \(milliseconds(generation))   target < 2000 ms")
        print("  reference: reading the three archives (\(archiveBytes / 1024) KiB) from disk  \(milliseconds(read))")
        print("  reference: copying the generated inputs (\(inputBytes / 1_048_576) MiB) in memory \(milliseconds(copy))")
        let megabytes = Double(text.utf8.count) / 1_048_576
        print("  JSON task file (\(Int(megabytes)) MiB): text written in \(milliseconds(write)), parsed in \(milliseconds(parse)) "
              + "(\(String(format: "%.0f", megabytes / parse)) MB/s)")
        try binaryLoad(taskSet!)
        if kernelPart { try kernelFCPart() }
    }

    /// Loading the generated task set as an `.npz` task file against a plain read of its bytes.
    static func binaryLoad(_ tasks: TaskSet) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ntkbridge-omniglot-\(getpid()).npz").path
        defer { unlink(path) }
        try tasks.writeNPZ(to: path)
        var bytes = 0
        let plain = try Timing.best { bytes = try InputFileBytes(path: path).storage.count - 1 }
        let load = try Timing.best { _ = try TaskSet(taskFile: path) }
        let megabytes = Double(bytes) / 1e6
        print("  .npz task file (\(String(format: "%.1f", megabytes)) MB) loaded in \(milliseconds(load)): "
              + String(format: "%.0f MB/s", megabytes / load) + "   target ≥ 200 MB/s")
        print("  reference: plain read of the same bytes \(milliseconds(plain)): " + String(format: "%.0f MB/s", megabytes / plain))
    }

    /// Runs Experiments/omniglot/run.sh's kernel-FC part (selection, both sweeps, distances) with
    /// binary task files, then with JSON ones, printing wall and child CPU seconds of each.
    static func kernelFCPart() throws {
        let executable = CommandBenchmark.executable
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            print("  kernel-FC part: skipped (\(executable) not built; `make bench` builds it)")
            return
        }
        print("  kernel-FC part of the benchmark (Experiments/omniglot/run.sh, PARTS=fc: 27 selection runs, 27 runs on the "
              + "20 runs, distances), load average \(loadAverage()):")
        for ext in ["npz", "json"] {
            let (wall, cpu) = try script(environment: ["PARTS": "fc", "TASK_EXT": ext, "NTKBRIDGE": executable])
            let label = ext == "npz" ? ".npz task files " : "reference: the same commands on JSON task files"
            print("    \(label)  \(String(format: "%6.1f s wall, %6.1f s CPU", wall, cpu))"
                  + (ext == "npz" ? "   target < 60 s on 2 cores" : ""))
        }
    }

    /// Wall seconds and the children's CPU seconds (user + system) of one run of the script.
    private static func script(environment: [String: String]) throws -> (wall: Double, cpu: Double) {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ntkbridge-omniglot-fc-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [root.appendingPathComponent("Experiments/omniglot/run.sh").path]
        process.environment = ProcessInfo.processInfo.environment.merging(environment.merging(["OMNIGLOT_OUT": scratch]) { $1 }) { $1 }
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()   // shown only if the script fails (gnuplot warns about parts not run)
        process.standardError = errors
        let before = childrenCPU(), start = Timing.now()
        try process.run()
        let messages = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let wall = Timing.now() - start
        guard process.terminationStatus == 0 else {
            throw FileOutputError(reason: "Experiments/omniglot/run.sh (PARTS=fc) failed with status \(process.terminationStatus): "
                                  + String(decoding: messages.suffix(2000), as: UTF8.self))
        }
        return (wall, childrenCPU() - before)
    }

    private static func childrenCPU() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    private static func loadAverage() -> String {
        ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").first.map(String.init) ?? "?"
    }
}
