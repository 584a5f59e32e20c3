import Foundation
import InfiniteWidth
import LinearAlgebra

/// OpenBLAS's idle-worker spin window in the same run: OpenBLAS's default (2²⁸ TSC cycles,
/// ≈ 0.1 s of busy-waiting after every threaded call) against the window ntkbridge sets at load
/// time (`BLASBackend.workerSpinExponent`, 2²⁰ ≈ 0.4 ms). In this process the window is switched
/// with `BLASBackend.setWorkerSpin`; the commands get OpenBLAS's default from
/// OPENBLAS_THREAD_TIMEOUT=28, which the load-time setting leaves alone.
enum BLASWorkerBenchmark {
    static let openBLASDefault = 28

    static func run(folder: String) throws {
        guard let loaded = BLASBackend.workerSpinExponent, BLASBackend.threadCount > 1 else {
            print("OpenBLAS worker spin: skipped (not a multithreaded pthreads OpenBLAS)")
            return
        }
        defer { BLASBackend.setWorkerSpin(exponent: loaded) }
        let windows = [openBLASDefault, loaded]
        print("OpenBLAS worker spin window: 2^\(openBLASDefault) cycles (OpenBLAS's default) against 2^\(loaded) (ntkbridge's), same run (\(loadAverage()))")
        print("                                                 2^\(openBLASDefault)                2^\(loaded)")
        var g = SeededGenerator(seed: 9)
        let big = Matrix.randomNormal(rows: 2000, columns: 2000, using: &g)
        let dgemm = windows.map { e in
            BLASBackend.setWorkerSpin(exponent: e)
            return Timing.bestWallAndCPU { _ = big * big }
        }
        print("  dgemm 2000³: wall, CPU/wall               " + dgemm.map {
            milliseconds($0.wall) + String(format: "  %4.2f", $0.cpu / $0.wall) }.joined(separator: "  "))
        let idle = windows.map { e in
            BLASBackend.setWorkerSpin(exponent: e)
            _ = big * big
            let start = Timing.processCPU()
            usleep(100_000)
            return Timing.processCPU() - start
        }
        print("  CPU burnt in 100 ms idle after a dgemm   " + idle.map { milliseconds($0) + "      " }.joined(separator: "  "))
        let x = Matrix.randomNormal(rows: 4000, columns: 100, using: &g)
        let recursion = KernelRecursion(try Architecture(depth: 5, activation: .relu))
        let medium = Matrix.randomNormal(rows: 1000, columns: 1000, using: &g)
        let kernel = try windows.map { e in
            BLASBackend.setWorkerSpin(exponent: e)
            _ = try recursion.kernels(x)
            var walls: [Double] = []
            for _ in 0..<5 {
                _ = medium * medium   // threaded: the worker spins (or not) as the kernel starts
                let start = Timing.now()
                _ = try recursion.kernels(x)
                walls.append(Timing.now() - start)
            }
            walls.sort()
            return (walls[0], walls[2])
        }
        print("  FC kernel n = 4000, depth 5, right after a threaded dgemm 1000³: wall min / median")
        print("                                           " + kernel.map {
            milliseconds($0.0) + " /" + milliseconds($0.1) }.joined(separator: "  "))
        try commands(folder: folder, x: x, generator: &g)
    }

    /// The CNTK and FC `kernel` commands end to end, alternating OPENBLAS_THREAD_TIMEOUT=28 and
    /// the default: min and median wall, median user + system CPU of 5 runs each.
    private static func commands(folder: String, x: Matrix, generator g: inout SeededGenerator) throws {
        let executable = CommandBenchmark.executable
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            print("  commands: skipped (\(executable) not built; `make bench` builds it)")
            return
        }
        let images = Matrix.randomNormal(rows: 400, columns: 441, using: &g)
        try writeCSV(images, folder + "/img400.csv")
        try writeCSV(x, folder + "/x4000.csv")
        let cases: [(String, [String])] = [
            ("CNTK 400 images 21×21, depth 3", ["--x1", folder + "/img400.csv", "--conv", "3x3", "--image", "21x21x1", "--depth", "3"]),
            ("FC n = 4000, d = 100, depth 5", ["--x1", folder + "/x4000.csv", "--depth", "5"]),
        ]
        print("  kernel command, CSV in, nngp,ntk .npy out: wall min / median, user+sys median")
        for (label, arguments) in cases {
            let full = [executable, "kernel", "--activation", "relu", "--kernels", "nngp,ntk", "--format", "npy",
                        "--out", folder + "/spin-out"] + arguments
            var runs: [[ChildRun]] = [[], []]
            for _ in 0..<5 {
                runs[0].append(try ChildRun(full, environment: ["OPENBLAS_THREAD_TIMEOUT=\(openBLASDefault)"]))
                runs[1].append(try ChildRun(full, environment: []))
            }
            print("    \(label.padding(toLength: 36, withPad: " ", startingAt: 0))" + runs.map { r in
                let walls = r.map(\.wall).sorted(), cpu = r.map(\.cpu).sorted()
                return milliseconds(walls[0]) + " /" + milliseconds(walls[2]) + "," + milliseconds(cpu[2])
            }.joined(separator: "   "))
        }
    }

    private static func writeCSV(_ m: Matrix, _ path: String) throws {
        try IOBenchmark.writeFile(path) { d in
            var text: [UInt8] = []
            m.withUnsafeBufferPointer { DecimalText.appendCSVLines($0.baseAddress!, rows: 0..<m.rows, columns: m.columns, to: &text) }
            try text.withUnsafeBytes { try FileDescriptorOutput.writeAll(d, $0.baseAddress!, count: $0.count) }
        }
    }
}

/// One run of a child process (stdout and stderr discarded): wall seconds and its user + system CPU.
private struct ChildRun {
    let wall: Double
    let cpu: Double

    init(_ arguments: [String], environment extra: [String]) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var inherited: [String] = []
        var e = environ
        while let entry = e.pointee {
            let s = String(cString: entry)
            if !s.hasPrefix("OPENBLAS_THREAD_TIMEOUT=") { inherited.append(s) }
            e += 1
        }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = (inherited + extra).map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let start = Timing.now()
        guard posix_spawn(&pid, arguments[0], &actions, nil, argv, envp) == 0 else {
            throw FileOutputError(reason: "cannot start \(arguments[0])")
        }
        var status: Int32 = 0
        var usage = rusage()
        _ = wait4(pid, &status, 0, &usage)
        wall = Timing.now() - start
        guard status == 0 else { throw FileOutputError(reason: "\(arguments.joined(separator: " ")) failed") }
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
        cpu = seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
