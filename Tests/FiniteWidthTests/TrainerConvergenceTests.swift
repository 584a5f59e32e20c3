import FewShot
import FiniteWidth
import InfiniteWidth
import LinearAlgebra
import Paradigms
import XCTest

/// As the width h grows, trained networks' test predictions approach the infinite-width
/// predictor with the same discrete hyperparameters (theory.md §7): `TrainedMTL`,
/// `MetaTrainedGBML` and kernel regression with training `.gradientDescent(η, S)` and solvers
/// `.gradientDescent(λ, τ)`, with relative error O(1/√h).
///
/// Set-up: critical ReLU (σ_w² = 2, σ_b = 0.1), depth 2; teacher tasks on S⁴ (4 training tasks,
/// 3 test tasks, 4 support and 4 query points each); τ = τ̂ = 2 inner steps at
/// λ = 0.5/max λ_max(κ(X', X')), S = 20 outer steps at η = 0.5/λ_max of the outer kernel (Φ,
/// Θ_MTL or Θ(X, X)), all from the analytic kernels. Statistic: the median over seeds 1…5 of
/// ‖F_h − F_∞‖_F/‖F_∞‖_F over all test predictions, at widths 64, 256 and 1024.
///
/// Bands (measured constants C = median·√h lie in 1.7–4.2 for every method and width): the
/// medians must fall from each width to the next (4×), the least-squares slope of log(median)
/// against log(h) must lie in [−0.8, −0.3] (measured −0.43 to −0.52; 1/√h is −0.5, while an
/// error floor from a wrong formula or hyperparameter gives ≈ 0), and the median at h = 1024
/// must be below 8/√1024 = 0.25 (C = 8, about twice the largest measured C). The seeds are
/// fixed, so the figures are reproducible; the bands guard against regressions, not chance.
final class TrainerConvergenceTests: XCTestCase {
    static let widths = [64, 256, 1024]
    static let seeds: [UInt64] = Array(1...5)
    static let steps = 20

    func testMTLApproachesTheKernelPredictor() throws {
        try assertConvergence("mtl") { tasks, kernels, architecture in
            let settings = try Self.mtlSettings(tasks, kernels, headCorrelation: 1, newHead: .initialization, data: .query)
            let limit = try TrainedMTL(tasks: tasks, kernels: kernels, settings: settings).predictions()
            return (limit, { width, seed in
                try FiniteMTL(tasks: tasks, architecture: architecture, width: width, seed: seed, settings: settings)
            })
        }
    }

    /// ρ = 0.5, heads trained on query and support merged, a new head from the mean of the
    /// trained heads: g_mean = ((1 + (N−1)ρ)/N)·Θ_body·β + (1/N)·K·β in the limit.
    func testMTLWithCorrelatedHeadsAndMeanNewHeadApproachesTheKernelPredictor() throws {
        try assertConvergence("mtl ρ=0.5 mean merged") { tasks, kernels, architecture in
            let settings = try Self.mtlSettings(tasks, kernels, headCorrelation: 0.5, newHead: .mean, data: .merged)
            let limit = try TrainedMTL(tasks: tasks, kernels: kernels, settings: settings).predictions()
            return (limit, { width, seed in
                try FiniteMTL(tasks: tasks, architecture: architecture, width: width, seed: seed, settings: settings)
            })
        }
    }

    func testANILApproachesTheKernelPredictor() throws {
        try assertGBMLConvergence(.anil)
    }

    func testMAMLApproachesTheKernelPredictor() throws {
        try assertGBMLConvergence(.maml)
    }

    func testRegressionApproachesTheKernelPredictor() throws {
        try assertConvergence("regression") { tasks, _, architecture in
            let x = Matrix.stackingRows(tasks.train.map(\.queryInputs))
            let y = Matrix.stackingRows(tasks.train.map { $0.queryLabels! })
            let xTest = Matrix.stackingRows(tasks.test.map(\.queryInputs))
            let ntk = try KernelRecursion(architecture).kernels(Matrix.stackingRows([x, xTest])).ntk
            let (train, test) = (0..<x.rows, x.rows..<ntk.rows)
            let trainKernel = ntk.block(rows: train, columns: train)
            let training = TrainingTime.gradientDescent(rate: 0.5 / (try TrainerFixtures.largestEigenvalue(trainKernel)),
                                                        steps: Self.steps)
            let limit = try FiniteRegression.kernelPredictions(
                trainKernel: trainKernel, crossKernel: ntk.block(rows: test, columns: train), labels: y, training: training)
            return ([limit], { width, seed in
                try FiniteRegression(inputs: x, labels: y, testInputs: xTest, architecture: architecture, width: width,
                                     seed: seed, training: training)
            })
        }
    }

    private func assertGBMLConvergence(_ method: GBMLMethod) throws {
        try assertConvergence(method.rawValue) { tasks, kernels, architecture in
            let kappa = method.adaptedKernel(kernels.kernels), points = kernels.points
            let largest = try (points.trainSupport + points.testSupport).map {
                try TrainerFixtures.largestEigenvalue(kappa.block(rows: $0, columns: $0))
            }.max()!
            let inner = InnerSolver.gradientDescent(rate: 0.5 / largest, steps: 2)
            let probe = try MetaTrainedGBML(tasks: tasks, kernels: kernels, settings: GBMLSettings(
                method: method, innerSolver: inner, training: .gradientDescent(rate: 1e-9, steps: 1)))
            let rate = 0.5 / (try TrainerFixtures.largestEigenvalue(probe.metaInducedKernel))
            let settings = GBMLSettings(method: method, innerSolver: inner,
                                        training: .gradientDescent(rate: rate, steps: Self.steps))
            let limit = try MetaTrainedGBML(tasks: tasks, kernels: kernels, settings: settings).predictions()
            return (limit, { width, seed in
                try FiniteGBML(tasks: tasks, architecture: architecture, width: width, seed: seed, settings: settings)
            })
        }
    }

    static func mtlSettings(_ tasks: TaskSet, _ kernels: TaskKernels, headCorrelation: Double,
                            newHead: MTLSettings.NewHead, data: MTLSettings.TrainingData) throws -> MTLSettings {
        let points = kernels.points
        let largestHead = try points.testSupport.map {
            try TrainerFixtures.largestEigenvalue(kernels.kernels.head.block(rows: $0, columns: $0))
        }.max()!
        let testSolver = InnerSolver.gradientDescent(rate: 0.5 / largestHead, steps: 2)
        let rows = tasks.train.indices.map { data == .query ? points.trainQuery[$0] : points.trainTask($0) }
        let theta = TrainedMTL.multitaskKernel(kernels.kernels, rows: rows, headCorrelation: headCorrelation)
        let training = TrainingTime.gradientDescent(rate: 0.5 / (try TrainerFixtures.largestEigenvalue(theta)), steps: steps)
        return MTLSettings(data: data, headCorrelation: headCorrelation, newHead: newHead, testSolver: testSolver,
                           training: training)
    }

    typealias Maker = (Int, UInt64) throws -> any FiniteLearner

    /// Trains a learner per width and seed for its S steps and checks the bands above.
    private func assertConvergence(_ name: String,
                                   _ setUp: (TaskSet, TaskKernels, Architecture) throws -> ([Matrix], Maker),
                                   file: StaticString = #filePath, line: UInt = #line) throws {
        let architecture = try Architecture(depth: 2, activation: .relu, weightStd: 2.0.squareRoot(), biasStd: 0.1)
        let tasks = try TaskFamily.teacher(dimension: 5, outputs: 1, features: 16)
            .tasks(trainTasks: 4, testTasks: 3, support: 4, query: 4, seed: 11)
        let (limit, make) = try setUp(tasks, try TaskKernels(tasks: tasks, architecture: architecture), architecture)
        var medians: [Double] = []
        for width in Self.widths {
            var errors: [Double] = []
            for seed in Self.seeds {
                var learner = try make(width, seed)
                try learner.train()
                errors.append(TrainerFixtures.relativeError(try learner.predictions(), limit))
            }
            let median = SampleStatistics(errors).median
            medians.append(median)
            print("FiniteWidth: \(name) h=\(width): median relative error vs the kernel predictor \(median) "
                  + "(C = \(median * Double(width).squareRoot()); per seed \(errors.map { ($0 * 1e4).rounded() / 1e4 }))")
        }
        let slope = TestNetworks.slope(Self.widths.map { log(Double($0)) }, medians.map { log($0) })
        print("FiniteWidth: \(name): fitted slope of log median error vs log width: \(slope)")
        for (smaller, larger) in zip(medians, medians.dropFirst()) {
            XCTAssertLessThan(larger, smaller, "\(name): the error must fall as the width grows", file: file, line: line)
        }
        XCTAssertTrue((-0.8)...(-0.3) ~= slope, "\(name): slope \(slope)", file: file, line: line)
        XCTAssertLessThan(medians.last!, 0.25, "\(name) at h = \(Self.widths.last!)", file: file, line: line)
    }
}
