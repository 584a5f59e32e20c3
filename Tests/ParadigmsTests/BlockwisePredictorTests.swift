import FewShot
import InfiniteWidth
import LinearAlgebra
import Paradigms
import XCTest

/// The predictors computed from kernel blocks (`TaskKernelBlocks`) against the same predictors
/// on the whole kernels (`TaskKernels`). Both run the same sums in the same order (the blocks are
/// bit-identical to the whole matrix's entries), so they agree to the last bits; the tolerances
/// leave room only for BLAS choosing another blocking for another shape (a few ulps, amplified
/// by the outer solve's condition number, about 1e4 here).
final class BlockwisePredictorTests: XCTestCase {
    /// Tasks of two sizes interleaved (the bands of `MetaInducedKernel` mix them), 9 training tasks
    /// (bands of 4, 4 and 1), 2 outputs.
    private let tasks: TaskSet = {
        let family = try! TaskFamily.teacher(dimension: 4, outputs: 2, features: 32)
        let a = try! family.tasks(trainTasks: 5, testTasks: 2, support: 4, query: 5, seed: 41)
        let b = try! family.tasks(trainTasks: 4, testTasks: 1, support: 6, query: 3, seed: 42)
        let train = a.train.indices.flatMap { [a.train[$0]] + (b.train.indices.contains($0) ? [b.train[$0]] : []) }
        return try! TaskSet(train: train, test: a.test + b.test)
    }()
    private let architecture = try! Architecture(depth: 3, activation: .relu, biasStd: 0.1)

    private func wholeAndBlocks() throws -> (TaskKernels, TaskKernelBlocks) {
        (try TaskKernels(tasks: tasks, architecture: architecture),
         try TaskKernelBlocks(tasks: tasks, recursion: KernelRecursion(architecture)))
    }

    private func assertClose(_ a: [Matrix], _ b: [Matrix], tolerance: Double, _ message: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, message, file: file, line: line)
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x.rows, y.rows, message, file: file, line: line)
            XCTAssertEqual(x.columns, y.columns, message, file: file, line: line)
            XCTAssertLessThanOrEqual((x - y).maxAbs, tolerance * max(y.maxAbs, 1e-300), message, file: file, line: line)
        }
    }

    /// Φ from bands of Θ's upper triangle equals Φ assembled on the whole Θ, and the test rows
    /// equal Θ(X̄_test, 𝒳̄).
    func testMetaInducedKernelFromBandsEqualsWholeMatrix() throws {
        let (whole, blocks) = try wholeAndBlocks()
        for method in GBMLMethod.allCases {
            let gbml = try MetaTrainedGBML(tasks: tasks, kernels: whole, settings: GBMLSettings(
                method: method, innerSolver: .gradientFlow(rate: 1, time: 0.5)))
            let (phi, testNTK) = try MetaInducedKernel.matrixAndTestRows(blocks: blocks, adaptations: gbml.adaptations)
            assertClose([phi], [gbml.metaInducedKernel], tolerance: 1e-14, "\(method) Φ")
            let points = whole.points
            let expected = whole.kernels.ntk.block(rows: points.trainingPoints.upperBound..<points.inputs.rows,
                                                   columns: points.trainingPoints)
            XCTAssertEqual(testNTK, expected, "kernel entries are bit-identical by construction (no sums)")
        }
    }

    /// MAML and ANIL predictions from blocks equal those on the whole kernels, for several inner
    /// solvers and training times.
    func testGBMLPredictionsFromBlocksEqualWholeKernels() throws {
        let (whole, blocks) = try wholeAndBlocks()
        let solvers: [InnerSolver] = [.gradientFlow(rate: 1, time: 0.5), .ridge(penalty: 0.2), .gradientDescent(rate: 0.05, steps: 3)]
        for method in GBMLMethod.allCases {
            for (solver, training) in zip(solvers, [TrainingTime.converged, .gradientFlow(rate: 0.5, time: 3), .converged]) {
                let settings = GBMLSettings(method: method, innerSolver: solver, testSolver: .ridge(penalty: 0.1),
                                            training: training, diagonalRegularization: 1e-6)
                let expected = try MetaTrainedGBML(tasks: tasks, kernels: whole, settings: settings).predictions()
                let actual = try MetaTrainedGBML.predictions(tasks: tasks, blocks: blocks, settings: settings)
                assertClose(actual, expected, tolerance: 1e-11, "\(method) \(solver) \(training)")
            }
        }
    }

    /// Θ_MTL from the rows of D equals Θ_MTL on the whole kernels, and so do the predictions, for
    /// both training data, both new-head starts and a correlation below 1.
    func testMTLFromBlocksEqualsWholeKernels() throws {
        let (whole, blocks) = try wholeAndBlocks()
        for data in MTLSettings.TrainingData.allCases {
            for (newHead, rho) in [(MTLSettings.NewHead.initialization, 1.0), (.mean, 0.6), (.initialization, 0.3)] {
                let settings = MTLSettings(data: data, headCorrelation: rho, newHead: newHead,
                                           testSolver: .gradientFlow(rate: 1, time: 0.5))
                let mtl = try TrainedMTL(tasks: tasks, kernels: whole, settings: settings)
                let parts = try TrainedMTL.multitaskKernel(blocks: blocks, rows: mtl.trainingRows, headCorrelation: rho)
                assertClose([parts.multitaskKernel], [mtl.multitaskKernel], tolerance: 0, "\(data) ρ = \(rho): entries are copied, not summed")
                let actual = try TrainedMTL.predictions(tasks: tasks, blocks: blocks, settings: settings)
                assertClose(actual, try mtl.predictions(), tolerance: 1e-11, "\(data) \(newHead) ρ = \(rho)")
            }
        }
    }

    /// Blocks are the cheaper route only where the engine computes them pair by pair.
    func testBlocksApplyToPairwiseEnginesOnly() throws {
        XCTAssertTrue(TaskKernelBlocks.applies(to: KernelRecursion(architecture)))
        let tanh = try Architecture(depth: 2, activation: .tanh)
        XCTAssertFalse(TaskKernelBlocks.applies(to: KernelRecursion(tanh)))
    }
}
