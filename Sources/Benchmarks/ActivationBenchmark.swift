import Foundation
import InfiniteWidth
import LinearAlgebra

/// The activation benchmarks of Docs/activations.md: the tanh kernel against the ReLU kernel on
/// the same points (Hermite series against closed form), and per catalogue activation the time
/// of its kernel and its largest error against the pair quadrature on the same inputs.
enum ActivationBenchmark {
    static func run(n: Int = 4000, d: Int = 100, depth: Int = 5) throws {
        var generator = SeededGenerator(seed: 1)
        let x = Matrix.randomNormal(rows: n, columns: d, using: &generator)
        let relu = KernelRecursion(try Architecture(depth: depth, activation: .relu))
        let tanh = KernelRecursion(try Architecture(depth: depth, activation: .tanh))
        let reluTime = try Timing.best(repeats: 2) { _ = try relu.kernels(x) }
        let tanhTime = try Timing.best(repeats: 2) { _ = try tanh.kernels(x) }
        report("activations: tanh against ReLU, depth \(depth), n = \(n), d = \(d), σ_w = √2 (NNGP, NTK, head and body)")
        report("  ReLU kernel (closed form)                 \(milliseconds(reluTime))")
        report("  tanh kernel (Hermite series)              \(milliseconds(tanhTime))   ratio to ReLU \(String(format: "%.2f", tanhTime / reluTime))")
        report("  target ≤ 2× ReLU: " + (tanhTime <= 2 * reluTime ? "met" : "NOT met"))
        report("")
        try catalogueTable()
    }

    /// Per activation: kernel time at n = 300 (d = 10, depth 3, σ_b = 0.2) and the largest error
    /// max|K − K_quad|/max|K_quad| over NNGP and NTK against the quadrature maps at n = 24 (the
    /// trapezoid rule, split Gauss–Legendre at kinks; ~1e-15 accurate, ~10⁴ evaluations a pair).
    static func catalogueTable() throws {
        var generator = SeededGenerator(seed: 2)
        let large = Matrix.randomNormal(rows: 300, columns: 10, using: &generator)
        let small = Matrix.randomNormal(rows: 24, columns: 10, using: &generator)
        let names = ["relu", "leaky-relu:0.1", "abrelu:-0.5,1.5", "erf", "identity", "gelu", "tanh", "softplus", "sin",
                     "sigmoid", "silu", "elu:1", "selu", "cos", "gaussian", "exp", "abs", "sign", "monomial:3",
                     "rectified-monomial:2", "hermite:4", "polynomial:0.5,1,-0.3"]
        report("activation              method              time n=300    error vs quadrature (n=24)")
        for name in names {
            let activation = try Activation(parsing: name)
            let weightStd = name == "exp" ? 0.3 : (name.hasPrefix("monomial") ? 0.7 : 1.2)
            let architecture = try Architecture(depth: 3, activation: activation, weightStd: weightStd, biasStd: 0.2)
            let recursion = KernelRecursion(architecture)
            let time = try Timing.best(repeats: 1) { _ = try recursion.kernels(large) }
            let quadrature = CustomActivation(name: "\(name) by quadrature", function: { activation.value($0) },
                                              derivative: { activation.derivative($0) },
                                              analyticity: activation.analyticity, kinks: activation.kinks)
            let reference = try KernelRecursion(Architecture(depth: 3, activation: .custom(quadrature),
                                                             weightStd: weightStd, biasStd: 0.2)).kernels(small)
            let exact = try recursion.kernels(small)
            let error = max(exact.nngp.maxRelativeDifference(to: reference.nngp), exact.ntk.maxRelativeDifference(to: reference.ntk))
            let method = activation.dualMethod.padding(toLength: 20, withPad: " ", startingAt: 0)
            report("  \(name.padding(toLength: 22, withPad: " ", startingAt: 0))\(method)\(milliseconds(time))    \(String(format: "%.1e", error))")
        }
    }
}

/// One line on standard output, written at once (the table's lines appear as they are measured).
private func report(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
