import CNumerics
import InfiniteWidth
import LinearAlgebra

/// The AVX-512 dual maps against the AVX2 ones in the same run, alternated, best CPU time of
/// three: the FC kernel of `KernelBenchmark` (ReLU, depth 5, n = 4000, d = 100, NNGP and NTK; the
/// same bits on both paths) and the flatten CNTK of 400 images 21×21×1 at depth 3 (on AVX-512 the
/// convolutional ReLU map chooses its angle reduction by arithmetic: the same values to a few ulp).
enum VectorWidthBenchmark {
    static func run() throws {
        guard ntkb_uses_avx512() != 0 else {
            print("vector width: this CPU has no AVX-512; the AVX2 paths are the only vector paths")
            return
        }
        defer { ntkb_limit_vector_width(0) }
        var generator = SeededGenerator(seed: 1)
        let points = Matrix.randomNormal(rows: 4000, columns: 100, using: &generator)
        let images = Matrix.randomNormal(rows: 400, columns: 21 * 21, using: &generator)
        let fullyConnected = KernelRecursion(try Architecture(depth: 5, activation: .relu))
        let flatten = try Convolution(filterHeight: 3, filterWidth: 3, imageHeight: 21, imageWidth: 21, channels: 1)
        let convolutional = KernelRecursion(try Architecture(depth: 3, activation: .relu, convolution: flatten))
        print("vector width: AVX-512 against AVX2 dual maps, same run (\(loadAverage()); best CPU time of 3)")
        for (name, body) in [
            ("FC kernel, n = 4000, depth 5 ReLU, NNGP + NTK", { _ = try fullyConnected.kernels(points, depths: [5], rows: 0..<4000, kinds: [.nngp, .ntk]) }),
            ("flatten CNTK, 400 images 21×21×1, depth 3 ReLU", { _ = try convolutional.kernels(images) }),
        ] as [(String, () throws -> Void)] {
            var cpu = [Double.infinity, .infinity]
            for _ in 0..<3 {
                for limit in 0...1 {
                    ntkb_limit_vector_width(Int32(limit))
                    cpu[limit] = min(cpu[limit], try Timing.bestWallAndCPU(repeats: 1, body).cpu)
                }
            }
            print("  \(name.padding(toLength: 48, withPad: " ", startingAt: 0)) AVX-512 \(milliseconds(cpu[0])) CPU   "
                  + "AVX2 \(milliseconds(cpu[1])) CPU   " + String(format: "%.2f×", cpu[1] / cpu[0]))
        }
    }
}
