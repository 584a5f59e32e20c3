import FewShot
import InfiniteWidth
import LinearAlgebra
import Paradigms
import XCTest

/// The identities of theory.md §3–§5 that hold for any task set.
final class PredictorIdentityTests: XCTestCase {
    private let tasks = try! TaskFamily.teacher(dimension: 4, outputs: 2, features: 32)
        .tasks(trainTasks: 6, testTasks: 3, support: 4, query: 5, seed: 31)

    private func kernels(_ activation: Activation = .relu, depth: Int = 3, biasStd: Double = 0.1) throws -> TaskKernels {
        try TaskKernels(tasks: tasks, architecture: Architecture(depth: depth, activation: activation, biasStd: biasStd))
    }

    /// Φ is symmetric and positive semi-definite, for MAML and ANIL, every inner solver.
    func testMetaInducedKernelIsSymmetricPSD() throws {
        let k = try kernels()
        for method in GBMLMethod.allCases {
            for solver in [InnerSolver.gradientFlow(rate: 0.3, time: 2), .gradientDescent(rate: 0.05, steps: 4),
                           .ridge(penalty: 0.2), .exact] {
                let phi = try MetaTrainedGBML(tasks: tasks, kernels: k,
                                              settings: GBMLSettings(method: method, innerSolver: solver)).metaInducedKernel
                XCTAssertEqual(phi.asymmetry, 0)
                let low = try SymmetricEigendecomposition(phi, name: "Φ").smallestEigenvalue
                XCTAssertGreaterThanOrEqual(low, -1e-10 * phi.trace, "\(method) \(solver)")
            }
        }
    }

    /// λτ → 0: T → λτ·I and 𝒢 → 0, so Φ → Θ(𝒳, 𝒳) with an error linear in λτ.
    func testShortInnerLoopGivesTheNTKOnTrainingQueries() throws {
        let k = try kernels()
        let ntk = k.trainingQueryNTK
        var errors: [Double] = []
        for lambdaTau in [1e-4, 1e-6] {
            let gbml = try MetaTrainedGBML(tasks: tasks, kernels: k,
                                           settings: GBMLSettings(method: .maml, innerSolver: .gradientFlow(rate: 1, time: lambdaTau)))
            errors.append((gbml.metaInducedKernel - ntk).maxAbs / ntk.maxAbs)
            XCTAssertLessThan(gbml.adaptations.map(\.adaptedSupportLabels.maxAbs).max()!, 1e3 * lambdaTau)
        }
        XCTAssertLessThan(errors[0], 1e-2)
        XCTAssertEqual(errors[0] / errors[1], 100, accuracy: 2, "linear in λτ")
    }

    /// With t = ∞ the meta-trained outputs fit the training queries (F_i = Y_i), and the jointly
    /// trained MTL outputs fit 𝒴_D: up to cond × round-off.
    func testConvergedTrainingFitsTheTrainingData() throws {
        let k = try kernels()
        for method in GBMLMethod.allCases {
            let gbml = try MetaTrainedGBML(tasks: tasks, kernels: k,
                                           settings: GBMLSettings(method: method, innerSolver: .gradientFlow(rate: 0.5, time: 1)))
            let cond = try SymmetricEigendecomposition(gbml.metaInducedKernel, name: "Φ").conditionNumber
            for i in tasks.train.indices {
                let y = tasks.train[i].queryLabels!
                XCTAssertLessThan((gbml.metaOutputs(trainTask: i) - y).maxAbs, 1e-14 * cond * y.maxAbs, "\(method) task \(i)")
            }
        }
        for data in MTLSettings.TrainingData.allCases {
            let mtl = try TrainedMTL(tasks: tasks, kernels: k, settings: MTLSettings(data: data, headCorrelation: 0.7,
                                                                                      testSolver: .exact))
            let cond = try SymmetricEigendecomposition(mtl.multitaskKernel, name: "Θ_MTL").conditionNumber
            for i in tasks.train.indices {
                let task = tasks.train[i]
                let y = data == .query ? task.queryLabels! : Matrix.stackingRows([task.queryLabels!, task.supportLabels])
                XCTAssertLessThan((mtl.trainedOutputs(trainTask: i) - y).maxAbs, 1e-14 * cond * y.maxAbs, "\(data) task \(i)")
            }
        }
    }

    /// ρ = 0: independent heads decouple the tasks, g ≡ 0, and MTL is head fine-tuning from zero.
    func testIndependentHeadsTransferNothing() throws {
        let k = try kernels()
        let mtl = try TrainedMTL(tasks: tasks, kernels: k, settings: MTLSettings(headCorrelation: 0, testSolver: .ridge(penalty: 0.1)))
        let points = k.points
        for j in tasks.test.indices {
            XCTAssertEqual(mtl.newHeadOutputs(rows: points.testTask(j)).maxAbs, 0)
        }
        // Then F_MTL(X) = K(X, X')·T̂·Y' whatever the training tasks were.
        let predictions = try mtl.predictions()
        for j in tasks.test.indices {
            let kernel = k.kernels.head
            let spectrum = try SupportSpectrum(supportKernel: kernel.block(rows: points.testSupport[j], columns: points.testSupport[j]), name: "K")
            let expected = kernel.block(rows: points.testQuery[j], columns: points.testSupport[j])
                * (try spectrum.adaptationOperator(.ridge(penalty: 0.1))) * tasks.test[j].supportLabels
            XCTAssertLessThan((predictions[j] - expected).maxAbs, 1e-13 * expected.maxAbs)
        }
    }

    /// At ρ = 1 a new head started from the mean of the trained heads sees
    /// g_mean = g + (1/N)·Σ_j K(x, D_j)·β_j.
    func testMeanHeadAtFullCorrelation() throws {
        let k = try kernels()
        let initial = try TrainedMTL(tasks: tasks, kernels: k, settings: MTLSettings(headCorrelation: 1, newHead: .initialization, testSolver: .exact))
        let mean = try TrainedMTL(tasks: tasks, kernels: k, settings: MTLSettings(headCorrelation: 1, newHead: .mean, testSolver: .exact))
        let rows = k.points.testTask(0)
        var headTerm = Matrix(rows: rows.count, columns: 2)
        var offset = 0
        for range in initial.trainingRows {
            headTerm = headTerm + k.kernels.head.block(rows: rows, columns: range) * initial.coefficients.rows(offset..<(offset + range.count))
            offset += range.count
        }
        let expected = initial.newHeadOutputs(rows: rows) + (1 / Double(tasks.train.count)) * headTerm
        XCTAssertLessThan((mean.newHeadOutputs(rows: rows) - expected).maxAbs, 1e-13 * expected.maxAbs)
    }

    /// The exact test-time solver interpolates the support set: on a test task whose query
    /// points are its support points, GBML and MTL predict the support labels.
    func testExactAdaptationReproducesSupportLabels() throws {
        let echo = try TaskSet(train: tasks.train, test: tasks.test.map {
            FewShotTask(supportInputs: $0.supportInputs, supportLabels: $0.supportLabels, queryInputs: $0.supportInputs, queryLabels: nil)
        })
        let k = try TaskKernels(tasks: echo, architecture: Architecture(depth: 2, activation: .erf, biasStd: 0.2))
        let gbml = try MetaTrainedGBML(tasks: echo, kernels: k, settings: GBMLSettings(method: .anil, innerSolver: .gradientFlow(rate: 1, time: 1),
                                                                                       testSolver: .exact))
        let mtl = try TrainedMTL(tasks: echo, kernels: k, settings: MTLSettings(testSolver: .exact))
        for predictions in [try gbml.predictions(), try mtl.predictions()] {
            for (j, task) in echo.test.enumerated() {
                XCTAssertLessThan((predictions[j] - task.supportLabels).maxAbs, 1e-9 * task.supportLabels.maxAbs)
            }
        }
    }

    /// A singular Φ at t = ∞ (identity network, exact inner loop, queries = supports: every
    /// meta-output is its support label) is refused naming Φ and suggesting a diagonal regularization; a finite
    /// meta-training time handles it.
    func testSingularMetaKernelIsRefusedAtInfiniteTime() throws {
        let echo = try TaskSet(train: tasks.train.map {
            FewShotTask(supportInputs: $0.supportInputs, supportLabels: $0.supportLabels, queryInputs: $0.supportInputs,
                        queryLabels: $0.supportLabels)
        }, test: tasks.test)
        let k = try TaskKernels(tasks: echo, architecture: Architecture(depth: 1, activation: .identity, biasStd: 0.5))
        XCTAssertThrowsError(try MetaTrainedGBML(tasks: echo, kernels: k, settings: GBMLSettings(method: .maml, innerSolver: .exact))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("Φ") && text.contains("the diagonal regularization r"), text)
        }
        let finite = try MetaTrainedGBML(tasks: echo, kernels: k, settings: GBMLSettings(method: .maml, innerSolver: .exact,
                                                                                         training: .gradientFlow(rate: 1, time: 3)))
        XCTAssertTrue(try finite.predictions().allSatisfy(\.allFinite))
    }

    /// Closeness summaries: mean, population standard deviation and median; undefined relative
    /// distances (F_GBML = 0) are counted, not averaged.
    func testDistanceSummaries() {
        let zero = Matrix(rows: 2, columns: 1)
        let a = Matrix(rowArrays: [[3], [4]])
        let d = PredictorDistance(Matrix(rowArrays: [[3], [0]]), from: a)
        XCTAssertEqual(d.relative!, 4.0 / 5.0, accuracy: 1e-16)
        XCTAssertEqual(d.rms, 4 / 2.0.squareRoot(), accuracy: 1e-15)
        XCTAssertNil(PredictorDistance(a, from: zero).relative)
        let s = DistanceSummary([1, 2, nil, 4, 10])
        XCTAssertEqual(s.mean, 4.25)
        XCTAssertEqual(s.median, 3)
        XCTAssertEqual(s.standardDeviation, (((1 - 4.25) * (1 - 4.25) + (2 - 4.25) * (2 - 4.25) + (4 - 4.25) * (4 - 4.25)
                                              + (10 - 4.25) * (10 - 4.25)) / 4).squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(s.undefinedCount, 1)
    }
}
