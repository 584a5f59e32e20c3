import FewShot
import FiniteWidth
import Foundation
import InfiniteWidth
import LinearAlgebra

/// One outer step of each method on a convolutional network against a fully connected network
/// with the same number of parameters (`Benchmarks conv-steps`): 8×8×1 images, depth 2, 3×3
/// filters, SAME padding, flatten readout, c channels, ReLU; τ = 2; 4 training tasks of 10 + 10
/// points. The dense network's width h is the one whose parameter count is closest.
///
/// Weight sharing makes the conv step do far more arithmetic per parameter: a pass costs 6 FLOPs
/// per multiply-add of one image's forward pass (`weightCount`: H·W·Kh·Kw·C_in·c per layer, plus
/// the readout), against 6 per weight for the dense network. The reference is OpenBLAS dgemm on
/// the conv's main product shape, one task's stacked patches (10·H·W × 9c) times W (9c × c),
/// measured in the same run: the rate the conv step's FLOPs would run at if every product were
/// that one.
enum ConvolutionalTrainingBenchmark {
    static func run(channels: Int = 64, side: Int = 8, tasks taskCount: Int = 4, points: Int = 10, tau: Int = 2) throws {
        let tasks = try TaskFamily.teacher(dimension: side * side, outputs: 1, features: 32)
            .tasks(trainTasks: taskCount, testTasks: 1, support: points, query: points, seed: 5)
        let convolution = try Convolution(filterHeight: 3, filterWidth: 3, imageHeight: side, imageWidth: side, channels: 1,
                                          padding: .same, readout: .flatten)
        let conv = try Architecture(depth: 2, activation: .relu, convolution: convolution)
        let dense = try Architecture(depth: 2, activation: .relu)
        let convNetwork = try ConvolutionalNetwork(architecture: conv, channels: channels, seed: 1)
        let width = matchingWidth(parameters: convNetwork.parameterCount, inputDimension: side * side)
        let denseNetwork = try FullyConnectedNetwork(architecture: dense, inputDimension: side * side, width: width, seed: 1)
        let settings = FiniteSettings(innerSolver: .gradientDescent(rate: 1e-3, steps: tau),
                                      training: .gradientDescent(rate: 1e-5, steps: 100))
        print("conv against dense outer steps: \(side)×\(side)×1 images, depth 2, ReLU, τ = \(tau), "
              + "\(taskCount) tasks of \(points) + \(points) points")
        print("  conv 3×3, \(channels) channels: \(convNetwork.parameterCount) parameters, "
              + "\(convNetwork.weightCount) multiply-adds per image; dense width \(width): \(denseNetwork.parameterCount) "
              + "parameters, \(denseNetwork.weightCount) per point")
        print("  method   dense CPU/step   conv CPU/step   conv/dense   conv GFLOP/s (pass model)")
        for method in [FiniteMethod.mtl, .anil, .fomaml, .maml] {
            var convLearner = try settings.learner(method, tasks: tasks, architecture: conv, width: channels, seed: 1)
            var denseLearner = try settings.learner(method, tasks: tasks, architecture: dense, width: width, seed: 1)
            let convCPU = try Timing.bestWallAndCPU(repeats: 3) { _ = try convLearner.step() }.cpu
            let denseCPU = try Timing.bestWallAndCPU(repeats: 3) { _ = try denseLearner.step() }.cpu
            let flops = 6 * Double(convNetwork.weightCount) * (settings.pointPassesPerStep(method, tasks: tasks) ?? .nan)
            print("  \(method.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(milliseconds(denseCPU))     "
                  + "\(milliseconds(convCPU))      " + String(format: "%6.1f       %6.1f", convCPU / denseCPU, flops / convCPU * 1e-9))
        }
        var g = SeededGenerator(seed: 3)
        let patches = Matrix.randomNormal(rows: points * side * side, columns: 9 * channels, using: &g)
        let w = Matrix.randomNormal(rows: 9 * channels, columns: channels, using: &g)
        var c = Matrix(rows: patches.rows, columns: channels)
        let gemm = Timing.best(repeats: 20) { Matrix.multiplyAdd(into: &c, patches, w) }
        let gemmFlops = 2 * Double(patches.rows * patches.columns * channels)
        print("  reference: dgemm \(patches.rows)×\(patches.columns)·\(patches.columns)×\(channels) \(milliseconds(gemm)), "
              + String(format: "%.1f GFLOP/s", gemmFlops / gemm * 1e-9))
    }

    /// The dense width h whose depth-2 parameter count d·h + h + h² + h + h + 1 is closest to P.
    static func matchingWidth(parameters: Int, inputDimension d: Int) -> Int {
        let count = { (h: Int) in d * h + h + h * h + h + h + 1 }
        return (1...4096).min { abs(count($0) - parameters) < abs(count($1) - parameters) }!
    }
}
