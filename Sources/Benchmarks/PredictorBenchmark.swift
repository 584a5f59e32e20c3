import Foundation
import FewShot
import InfiniteWidth
import LinearAlgebra
import Paradigms

/// The issue's predictor benchmark: assembling and solving the meta-induced kernel Φ (ANIL and
/// MAML) and the MTL kernel Θ_MTL for N = 200 tasks with n = n' = 10 (4000 training points),
/// beside the time of the base kernel on the same points, measured in the same run.
enum PredictorBenchmark {
    static func run(tasks n: Int = 200, points: Int = 10, depth: Int = 3) throws {
        let taskSet = try TaskFamily.teacher(dimension: 16, outputs: 1, features: 32)
            .tasks(trainTasks: n, testTasks: 0, support: points, query: points, seed: 1)
        let architecture = try Architecture(depth: depth, activation: .relu)
        var kernels: TaskKernels?
        let kernelTime = try Timing.best { kernels = try TaskKernels(tasks: taskSet, architecture: architecture) }
        let solver = InnerSolver.gradientFlow(rate: 1, time: 0.1)
        let anil = try Timing.best {
            _ = try MetaTrainedGBML(tasks: taskSet, kernels: kernels!, settings: GBMLSettings(method: .anil, innerSolver: solver))
        }
        let maml = try Timing.best {
            _ = try MetaTrainedGBML(tasks: taskSet, kernels: kernels!, settings: GBMLSettings(method: .maml, innerSolver: solver))
        }
        let mtl = try Timing.best {
            _ = try TrainedMTL(tasks: taskSet, kernels: kernels!, settings: MTLSettings(testSolver: solver))
        }
        let total = n * 2 * points
        print("predictors: N = \(n) tasks, n = n' = \(points) (\(total) training points), ReLU depth \(depth), t = ∞")
        print("  base kernel on the \(total) points (NNGP, NTK, head, body)   \(milliseconds(kernelTime))")
        for (name, time) in [("ANIL: Φ (\(n * points)×\(n * points)) assembled and solved", anil),
                             ("MAML: Φ assembled and solved", maml),
                             ("MTL: Θ_MTL (\(n * points)×\(n * points)) assembled and solved", mtl)] {
            print("  " + name.padding(toLength: 56, withPad: " ", startingAt: 0)
                  + "\(milliseconds(time))   ratio to the kernel \(String(format: "%.2f", time / kernelTime))")
        }
    }
}
