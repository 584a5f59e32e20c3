import Datasets
import FewShot
import Foundation
import LinearAlgebra

/// The Omniglot task-generation benchmark: N = 200 training tasks, 20-way 1-shot 1-query, at
/// S = 21, plus the 20 runs (issue target: under 2 s), beside reading the three archives' bytes
/// from disk and copying the generated inputs in memory, measured in the same run; the JSON task
/// file's writing and reading are shown for scale.
enum OmniglotBenchmark {
    static func run(tasks n: Int = 200) throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Experiments/data/omniglot").path
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
    }
}
