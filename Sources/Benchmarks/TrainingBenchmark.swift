import FewShot
import FiniteWidth
import Foundation
import InfiniteWidth
import LinearAlgebra
import Paradigms

/// The training benchmark: one MAML outer step (τ = 5 inner steps, exact meta-gradient)
/// and one MTL step at width 1024, depth 3, with their ratio, and the FLOP rates they reach
/// beside OpenBLAS dgemm on the same shapes.
///
/// FLOPs are counted with the dense layers' model: with P = Σ_l fan_in·fan_out weights, a
/// forward pass over n points costs 2nP, a backward pass 4nP (weight and input gradients), and a
/// Hessian-vector product 12nP (forward, R-forward, backward and R-backward). An MTL step is one
/// forward and one backward pass over all query points: 6·N·n·P. A MAML step costs, per task,
/// τ inner steps (6·n'·P each), the query gradient at θ_τ (6·n·P) and τ Hessian-vector products
/// on the support set (12·n'·P each).
enum TrainingBenchmark {
    static func run(width: Int = 1024, depth: Int = 3, tasks taskCount: Int = 10, points: Int = 10, innerSteps: Int = 5) throws {
        let tasks = try TaskFamily.teacher(dimension: 16, outputs: 1, features: 32)
            .tasks(trainTasks: taskCount, testTasks: 1, support: points, query: points, seed: 2)
        let architecture = try Architecture(depth: depth, activation: .relu)
        let settings = FiniteSettings(innerSolver: .gradientDescent(rate: 0.01, steps: innerSteps),
                                      training: .gradientDescent(rate: 1e-4, steps: 10))
        var mtl = try settings.learner(.mtl, tasks: tasks, architecture: architecture, width: width, seed: 1)
        var maml = try settings.learner(.maml, tasks: tasks, architecture: architecture, width: width, seed: 1)
        let mtlTime = try Timing.best(repeats: 5) { _ = try mtl.step() }
        let mamlTime = try Timing.best(repeats: 3) { _ = try maml.step() }

        let p = Double(16 * width + (depth - 1) * width * width + width)
        let n = Double(points), nTasks = Double(taskCount), tau = Double(innerSteps)
        let mtlFlops = 6 * nTasks * n * p
        let mamlFlops = nTasks * (tau * 6 * n * p + 6 * n * p + tau * 12 * n * p)
        let batched = dgemmRate(rows: taskCount * points, width: width)
        let perTask = dgemmRate(rows: points, width: width)
        print("training: width \(width), depth \(depth), ReLU, \(taskCount) tasks of \(points) + \(points) points")
        print("  one MTL step                          \(milliseconds(mtlTime))   "
              + String(format: "%6.1f GFLOP/s (dgemm %d×%d·%d×%d: %.1f GFLOP/s)", mtlFlops / mtlTime * 1e-9,
                       taskCount * points, width, width, width, batched * 1e-9))
        print("  one MAML step (τ = \(innerSteps), exact meta-gradient) \(milliseconds(mamlTime))   "
              + String(format: "%6.1f GFLOP/s (dgemm %d×%d·%d×%d: %.1f GFLOP/s)", mamlFlops / mamlTime * 1e-9,
                       points, width, width, width, perTask * 1e-9))
        print(String(format: "  MAML step / MTL step: %.1f", mamlTime / mtlTime))
    }

    /// OpenBLAS dgemm's rate (FLOP/s) on an (rows × width)·(width × width) product.
    private static func dgemmRate(rows: Int, width: Int) -> Double {
        var g = SeededGenerator(seed: 3)
        let a = Matrix.randomNormal(rows: rows, columns: width, using: &g)
        let w = Matrix.randomNormal(rows: width, columns: width, using: &g)
        var c = Matrix(rows: rows, columns: width)
        let seconds = Timing.best(repeats: 20) { Matrix.multiplyAdd(into: &c, a, w, transposeB: true) }
        return 2 * Double(rows) * Double(width) * Double(width) / seconds
    }
}
