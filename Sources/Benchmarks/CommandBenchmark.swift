import Foundation
import LinearAlgebra

/// End-to-end runs of the built `ntkbridge` (beside this executable): wall time and the child's
/// peak resident memory, each beside the computation alone (`kernel --timing`).
enum CommandBenchmark {
    static var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ntkbridge").path
    }

    /// Runs ntkbridge with `arguments` (stdout to a file); returns wall seconds, the child's peak
    /// RSS (bytes) and its stdout.
    static func run(_ arguments: [String]) throws -> (seconds: Double, peakBytes: Int, output: String) {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("ntkbridge-bench-out-\(getpid())").path
        defer { unlink(outputPath) }
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let start = Timing.now()
        guard posix_spawn(&pid, executable, &actions, nil, argv, environ) == 0 else {
            throw FileOutputError(reason: "cannot start \(executable)")
        }
        // The child's own peak: VmHWM of its /proc status, polled while it runs (a high-water
        // mark, so a late read holds it). wait4's ru_maxrss cannot be used: posix_spawn shares
        // this process's memory until the exec, and Linux folds that memory's peak into the
        // child's maximum.
        var status: Int32 = 0
        var peak = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            peak = max(peak, highWaterMark(of: pid))
            usleep(2_000)
        }
        let seconds = Timing.now() - start
        guard status == 0 else { throw FileOutputError(reason: "ntkbridge \(arguments.joined(separator: " ")) failed") }
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return (seconds, peak, output)
    }

    /// VmHWM of a running process, bytes (0 if unreadable).
    static func highWaterMark(of pid: pid_t) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kilobytes * 1024
    }

    static func kernelSeconds(_ output: String) -> Double {
        output.split(separator: "\n").first { $0.hasPrefix("kernel_seconds: ") }
            .flatMap { Double($0.dropFirst("kernel_seconds: ".count)) } ?? .nan
    }

    static func runAll(folder: String) throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            print("end to end: skipped (\(executable) not built; `make bench` builds it)")
            return
        }
        var g = SeededGenerator(seed: 5)
        let x = Matrix.randomNormal(rows: 4000, columns: 100, using: &g)
        try IOBenchmark.writeFile(folder + "/e2e.csv") { d in
            var text: [UInt8] = []
            x.withUnsafeBufferPointer { DecimalText.appendCSVLines($0.baseAddress!, rows: 0..<x.rows, columns: x.columns, to: &text) }
            try text.withUnsafeBytes { try FileDescriptorOutput.writeAll(d, $0.baseAddress!, count: $0.count) }
        }
        let common = ["kernel", "--depth", "5", "--activation", "relu", "--timing"]
        print("end to end: ntkbridge kernel, ReLU depth 5, n = 4000, d = 100, CSV in, four .npy out (128 MB each; \(loadAverage()))")
        let e2e = try best { try run(common + ["--x1", folder + "/e2e.csv", "--format", "npy", "--out", folder + "/k"]) }
        print("  wall time \(milliseconds(e2e.seconds))   of which kernel compute \(milliseconds(kernelSeconds(e2e.output)))"
              + "   peak RSS \(e2e.peakBytes >> 20) MiB")

        // Out of core: n = 8000, NTK only, 128 MiB limit (the whole 8000² matrix is 512 MB).
        let big = Matrix.randomNormal(rows: 8000, columns: 100, using: &g)
        try IOBenchmark.writeFile(folder + "/big.npy") { d in
            let header = NPYHeader.encoded(rows: big.rows, columns: big.columns)
            try header.withUnsafeBytes { try FileDescriptorOutput.writeAll(d, $0.baseAddress!, count: $0.count) }
            try big.withUnsafeBufferPointer { try FileDescriptorOutput.writeAll(d, $0.baseAddress!, count: $0.count * 8) }
        }
        let ooc = try run(common + ["--x1", folder + "/big.npy", "--kernels", "ntk", "--format", "npy",
                                    "--memory-limit", "128MiB", "--out", folder + "/ooc"])
        let inMemory = try run(common + ["--x1", folder + "/big.npy", "--kernels", "ntk", "--format", "npy", "--out", folder + "/inm"])
        print("out of core: n = 8000, --kernels ntk (512 MB of output; \(loadAverage()))")
        print("  --memory-limit 128MiB  wall \(milliseconds(ooc.seconds))  compute \(milliseconds(kernelSeconds(ooc.output)))"
              + "  peak RSS \(ooc.peakBytes >> 20) MiB  (\(String(format: "%.0f", 512e6 / ooc.seconds / 1e6)) MB/s of output)")
        print("  in memory              wall \(milliseconds(inMemory.seconds))  compute \(milliseconds(kernelSeconds(inMemory.output)))"
              + "  peak RSS \(inMemory.peakBytes >> 20) MiB")
    }

    /// `predict` end to end on the issue's size (N = 200, n = n' = 10, 20 test tasks, d = 16, depth 5:
    /// 4 400 points), beside references from the same run: OpenBLAS dgemm of the kernel's Gram
    /// size (4400×16 by 16×4400), the kernel command alone on the 4 400 points, and the previous
    /// implementation (all four kernels computed whatever the method).
    static func predict(folder: String) throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else { return }
        let tasks = folder + "/p.npz"
        _ = try run(["tasks", "--family", "teacher", "--dim", "16", "--train-tasks", "200", "--test-tasks", "20",
                     "--support", "10", "--query", "10", "--seed", "1", "--out", tasks])
        print("predict end to end: N = 200 teacher tasks, n = n' = 10, 20 test tasks, d = 16, ReLU depth 5 "
              + "(4 400 points; target < 500 ms on 2 free cores; \(loadAverage()))")
        var g = SeededGenerator(seed: 6)
        let points = Matrix.randomNormal(rows: 4400, columns: 16, using: &g)
        let gemm = Timing.best { _ = Matrix.product(points, points, transposeB: true) }
        print("  reference: OpenBLAS dgemm 4400×16 by 16×4400                  \(milliseconds(gemm))")
        try IOBenchmark.writeFile(folder + "/p-points.npy") { d in
            let header = NPYHeader.encoded(rows: points.rows, columns: points.columns)
            try header.withUnsafeBytes { try FileDescriptorOutput.writeAll(d, $0.baseAddress!, count: $0.count) }
            try points.withUnsafeBufferPointer { try FileDescriptorOutput.writeAll(d, $0.baseAddress!, count: $0.count * 8) }
        }
        let common = ["kernel", "--x1", folder + "/p-points.npy", "--depth", "5", "--activation", "relu", "--timing"]
        for (kinds, label) in [("ntk", "Θ alone (MAML)"), ("ntk,head", "Θ and K (ANIL)"), ("nngp,ntk,head,body", "all four (before)")] {
            let kernel = try best { try run(common + ["--kernels", kinds]) }
            print("  reference: kernel command, \(label), no output".padding(toLength: 64, withPad: " ", startingAt: 0)
                  + "\(milliseconds(kernel.seconds))   compute \(milliseconds(kernelSeconds(kernel.output)))")
        }
        // The .npz task file (the JSON reader has its own line in the input/output section). Five
        // runs each: the first touch of fresh memory varies run to run on a shared VM, so the
        // median is reported beside the minimum. `PredictorBenchmark` times the same predictors
        // in process beside the previous (whole-kernel) implementation.
        for method in ["mtl", "anil", "maml"] {
            let runs = try (0..<5).map { _ in
                try run(["predict", "--tasks", tasks, "--method", method, "--depth", "5", "--activation", "relu",
                         "--inner", "continuous", "--inner-rate", "1", "--inner-steps", "0.1", "--out", folder + "/pred-\(method).csv"])
            }.sorted { $0.seconds < $1.seconds }
            print("  predict --method \(method) (npz), 5 runs".padding(toLength: 64, withPad: " ", startingAt: 0)
                  + "min \(milliseconds(runs[0].seconds))  median \(milliseconds(runs[2].seconds))"
                  + "   peak RSS \(runs.map(\.peakBytes).max()! >> 20) MiB")
        }
    }

    private static func best(_ body: () throws -> (seconds: Double, peakBytes: Int, output: String)) throws
        -> (seconds: Double, peakBytes: Int, output: String) {
        var result = try body()
        for _ in 0..<2 {
            let again = try body()
            if again.seconds < result.seconds { result = again }
        }
        return result
    }
}
