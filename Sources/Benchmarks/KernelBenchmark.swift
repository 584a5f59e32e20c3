import InfiniteWidth
import LinearAlgebra

/// The kernel benchmark: NNGP + NTK of a depth-5 ReLU network on n = 4000 points of
/// dimension 100, beside an OpenBLAS dgemm of the Gram matrix's size measured in the same run.
enum KernelBenchmark {
    static func run(n: Int = 4000, d: Int = 100, depth: Int = 5) throws {
        var generator = SeededGenerator(seed: 1)
        let x = Matrix.randomNormal(rows: n, columns: d, using: &generator)
        let gemm = Timing.best { _ = Matrix.product(x, x, transposeB: true) }
        let architecture = try Architecture(depth: depth, activation: .relu)
        let recursion = KernelRecursion(architecture)
        let kernel = try Timing.best { _ = try recursion.kernels(x) }
        // The previous implementation, in the same run: every pair through the five layers.
        let layers = try Timing.best { _ = try KernelRecursion(architecture, angularTables: false).kernels(x) }
        let entries = Double(n) * Double(n + 1) / 2 * Double(depth)
        let target = 3 * (gemm + Double(depth) * 2e-9 * Double(n) * Double(n) / 2)
        print("kernel: ReLU, depth \(depth), n = \(n), d = \(d) (NNGP, NTK, head and body; \(loadAverage()))")
        func label(_ text: String) -> String { "  " + text.padding(toLength: 48, withPad: " ", startingAt: 0) }
        print(label("OpenBLAS dgemm X·Xᵀ (\(n)×\(d) by \(d)×\(n))") + milliseconds(gemm))
        print(label("kernel (readouts from the first layer's angle)") + milliseconds(kernel)
              + "   ratio to dgemm " + String(format: "%.2f", kernel / gemm))
        print(label("kernel, every pair through the layers") + milliseconds(layers)
              + "   the angular tables " + String(format: "%.2f", layers / kernel) + "× faster")
        print(label("per entry of the upper triangle per layer") + String(format: "%8.2f ns", kernel / entries * 1e9))
        print("  target 3·(dgemm + \(depth) passes at 2 ns on half the matrix) \(milliseconds(target)): "
              + (kernel <= target ? "met" : "NOT met"))
    }
}
