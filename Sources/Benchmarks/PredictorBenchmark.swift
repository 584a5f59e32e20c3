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

    /// The issue's `predict` case in process (N = 200, n = n' = 10, 20 test tasks, d = 16, ReLU
    /// depth 5: 4 400 points), kernels included: the predictors from kernel blocks
    /// (`TaskKernelBlocks`, what `predict` runs) beside the previous implementation in the same
    /// run (whole kernels of the kinds the method reads, then the whole-matrix predictors). Best
    /// wall and CPU time of 3 runs; the new column is the steadier figure on a shared machine.
    static func predictFromBlocks() throws {
        let taskSet = try TaskFamily.teacher(dimension: 16, outputs: 1, features: 32)
            .tasks(trainTasks: 200, testTasks: 20, support: 10, query: 10, seed: 1)
        let architecture = try Architecture(depth: 5, activation: .relu)
        let recursion = KernelRecursion(architecture)
        let solver = InnerSolver.gradientFlow(rate: 1, time: 0.1)
        print("predictors from kernel blocks vs whole kernels (previous), kernels included: 4 400 points, ReLU depth 5, "
              + "\(loadAverage())")
        for method in [GBMLMethod?.none, .anil, .maml] {
            let name = method?.rawValue ?? "mtl"
            let previous = try Timing.bestWallAndCPU {
                let kernels = try TaskKernels(tasks: taskSet, architecture: architecture, kinds: TaskKernels.kinds(for: method))
                if let method {
                    _ = try MetaTrainedGBML(tasks: taskSet, kernels: kernels, settings: GBMLSettings(method: method, innerSolver: solver))
                        .predictions()
                } else {
                    _ = try TrainedMTL(tasks: taskSet, kernels: kernels, settings: MTLSettings(testSolver: solver)).predictions()
                }
            }
            let blocks = try Timing.bestWallAndCPU {
                let blocks = try TaskKernelBlocks(tasks: taskSet, recursion: recursion)
                if let method {
                    _ = try MetaTrainedGBML.predictions(tasks: taskSet, blocks: blocks, settings: GBMLSettings(method: method, innerSolver: solver))
                } else {
                    _ = try TrainedMTL.predictions(tasks: taskSet, blocks: blocks, settings: MTLSettings(testSolver: solver))
                }
            }
            print("  \(name): from blocks wall \(milliseconds(blocks.wall)) CPU \(milliseconds(blocks.cpu))   "
                  + "previous wall \(milliseconds(previous.wall)) CPU \(milliseconds(previous.cpu))")
        }
    }
}
