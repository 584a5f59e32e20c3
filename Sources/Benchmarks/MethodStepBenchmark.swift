import FewShot
import FiniteWidth
import Foundation
import InfiniteWidth
import LinearAlgebra

/// The cost comparison's setting (width 2048, depth 2, ReLU, τ = 2, 4 training tasks of 10 + 10
/// points): the time of one outer step of each method beside its count of forward and backward
/// passes over a 10-point batch, and the reference a pass is bounded by at this size — one
/// forward pass's dgemm (10×h·h×h) and one read of the parameters (memory bandwidth).
///
/// Passes per outer step, counted in forward-and-backward passes of one task's 10-point batch
/// (6·n·P FLOPs for P weights): MTL one pass of all N·n query points (N units); FOMAML τ + 1 per
/// task; MAML those plus τ Hessian-vector products of 16·n·P FLOPs each (forward, two tangent
/// products, two weight gradients and three pull-backs: 8/3 units); ANIL one pass of the body on
/// the N·(n' + n) support and query points (2N units), its inner loop on the head alone.
enum MethodStepBenchmark {
    static func run(width: Int = 2048, depth: Int = 2, tasks taskCount: Int = 4, points: Int = 10,
                    innerSteps tau: Int = 2) throws {
        let tasks = try TaskFamily.sinusoid(outputs: 1, inputScale: 1).tasks(trainTasks: taskCount, testTasks: 2, support: points,
                                                  query: points, seed: 5)
        let architecture = try Architecture(depth: depth, activation: .relu)
        let settings = FiniteSettings(innerSolver: .gradientDescent(rate: 0.05, steps: tau),
                                      training: .gradientDescent(rate: 1e-3, steps: 100))
        print("outer steps: width \(width), depth \(depth), ReLU, τ = \(tau), \(taskCount) tasks of \(points) + \(points) points")
        var (mtlWall, mtlCPU) = (0.0, 0.0)
        print("  method      wall/step  ×MTL      CPU/step  ×MTL   passes ×MTL")
        for method in [FiniteMethod.mtl, .anil, .fomaml, .maml] {
            var learner = try settings.learner(method, tasks: tasks, architecture: architecture, width: width, seed: 1)
            let (wall, cpu) = try Timing.bestWallAndCPU(repeats: 5) { _ = try learner.step() }
            if method == .mtl { (mtlWall, mtlCPU) = (wall, cpu) }
            let passes = Self.passes(method, tasks: taskCount, tau: tau)
            print("  \(method.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(milliseconds(wall))  "
                  + String(format: "%4.1f  ", wall / mtlWall) + milliseconds(cpu)
                  + String(format: "  %4.1f   %5.1f  %4.1f", cpu / mtlCPU, passes,
                           passes / Self.passes(.mtl, tasks: taskCount, tau: tau)))
        }
        var g = SeededGenerator(seed: 3)
        let a = Matrix.randomNormal(rows: points, columns: width, using: &g)
        let w = Matrix.randomNormal(rows: width, columns: width, using: &g)
        var c = Matrix(rows: points, columns: width)
        let gemm = Timing.best(repeats: 20) { Matrix.multiplyAdd(into: &c, a, w, transposeB: true) }
        var copy = w
        let read = Timing.best(repeats: 20) { copy = w + w }
        _ = copy
        print("  reference: dgemm \(points)×\(width)·\(width)×\(width) \(milliseconds(gemm)); "
              + "h×h matrix add (2 reads, 1 write) \(milliseconds(read))")
    }

    /// Forward-and-backward passes of one task's batch per outer step (an HVP counted as 8/3).
    static func passes(_ method: FiniteMethod, tasks: Int, tau: Int) -> Double {
        let (n, t) = (Double(tasks), Double(tau))
        switch method {
        case .mtl: return n
        case .anil: return 2 * n
        case .fomaml: return n * (t + 1)
        case .maml: return n * (t + 1 + 8 * t / 3)
        }
    }
}
