import Foundation
import InfiniteWidth
import LinearAlgebra

/// The convolutional kernels of issue 11: the flatten CNTK of 400 images 21×21×1 at depth 3
/// (ReLU), beside the fully connected recursion with the same number of dual-map evaluations
/// measured in the same run (n = 400 at depth 441·3: every pair through 1 323 layers), and the
/// global-average-pool CNTK of 1 000 images 14×14×1 at depth 3 with the process's peak memory.
enum ConvolutionalKernelBenchmark {
    static func run(globalAveragePooling: Bool = true) throws {
        var generator = SeededGenerator(seed: 11)
        let images = Matrix.randomNormal(rows: 400, columns: 21 * 21, using: &generator)
        let flatten = try Convolution(filterHeight: 3, filterWidth: 3, imageHeight: 21, imageWidth: 21, channels: 1)
        let cntk = KernelRecursion(try Architecture(depth: 3, activation: .relu, convolution: flatten))
        _ = try cntk.kernels(images)   // warm-up
        let (seconds, cpu) = try measured { _ = try cntk.kernels(images) }
        let fullyConnected = KernelRecursion(try Architecture(depth: 3 * 21 * 21, activation: .relu))
        let (reference, referenceCPU) = try measured { _ = try fullyConnected.kernels(images) }
        let evaluations = 400.0 * 401 / 2 * 441 * 3
        // On a machine shared with other work the wall time stretches; half the CPU time is what
        // the two cores take when they are free (the tiles keep both busy).
        let idle = cpu / 2
        print("CNTK, flatten readout: 400 images 21×21×1, 3×3 SAME, depth 3, ReLU (NNGP, NTK, head, body)")
        print("  CNTK                                        wall \(milliseconds(seconds))  CPU \(milliseconds(cpu))"
              + String(format: "   %.2f CPU-ns per pair·pixel·layer", cpu / evaluations * 1e9))
        print("  FC kernel, same dual-map count (L = 1323)   wall \(milliseconds(reference))  CPU \(milliseconds(referenceCPU))"
              + String(format: "   CPU ratio %.2f", cpu / referenceCPU))
        print(String(format: "  CPU/2 (both cores free)                          %.0f ms", idle * 1e3)
              + "   Neural Tangents in the same run: make bench-reference (goal ≥ 30×)")

        guard globalAveragePooling else { return }
        let pooledImages = Matrix.randomNormal(rows: 1000, columns: 14 * 14, using: &generator)
        let pooled = try Convolution(filterHeight: 3, filterWidth: 3, imageHeight: 14, imageWidth: 14, channels: 1,
                                     readout: .globalAveragePool)
        let gap = KernelRecursion(try Architecture(depth: 3, activation: .relu, convolution: pooled))
        let (gapSeconds, gapCPU) = try measured { _ = try gap.kernels(pooledImages) }
        let gapEvaluations = 1000.0 * 1001 / 2 * 196 * 196 * 3
        print("CNTK, global average pooling: 1 000 images 14×14×1, 3×3 SAME, depth 3, ReLU")
        print("  CNTK (one run)                              wall \(String(format: "%8.1f s ", gapSeconds))  CPU \(String(format: "%8.1f s ", gapCPU))"
              + String(format: "   %.2f CPU-ns per pair·pixel pair·layer", gapCPU / gapEvaluations * 1e9))
        print("  peak resident memory of this process so far     \(String(format: "%8.0f MB", peakResidentMegabytes()))"
              + "   (goal < 2 GB; Neural Tangents needs 27 GB for 50 such images)")
    }

    /// Wall and CPU seconds (all threads of the process) of one run of `body`.
    static func measured(_ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
        let (wall, cpu) = (Timing.now(), processCPUSeconds())
        try body()
        return (Timing.now() - wall, processCPUSeconds() - cpu)
    }

    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// VmHWM of /proc/self/status, in MB (0 where unavailable).
    static func peakResidentMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kilobytes / 1024
    }
}
