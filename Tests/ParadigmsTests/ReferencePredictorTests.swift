import FewShot
import InfiniteWidth
import LinearAlgebra
import Paradigms
import TestSupport
import XCTest

/// Agreement with every predictor reference vector (Tests/Fixtures/predictors) to 1e-8 relative,
/// and with the reference distances.
final class ReferencePredictorTests: XCTestCase {
    /// The case's settings in the library's terms.
    struct Setup {
        let tasks: TaskSet
        let kernels: TaskKernels
        let inner: InnerSolver
        let test: InnerSolver
        let training: TrainingTime
        let c: PredictorCase

        init(_ c: PredictorCase) throws {
            self.c = c
            let a = c.config.architecture
            let architecture = try Architecture(depth: a.depth, activation: Activation(parsing: a.activation),
                                                weightStd: a.w_std, biasStd: a.b_std,
                                                readoutWeightStd: a.out_w_std, readoutBiasStd: a.out_b_std)
            tasks = try c.taskSet()
            kernels = try TaskKernels(tasks: tasks, architecture: architecture)
            func solver(rate: Double, steps: Double) -> InnerSolver {
                switch c.config.inner.kind {
                case "continuous": return .gradientFlow(rate: rate, time: steps)
                case "discrete": return .gradientDescent(rate: rate, steps: Int(steps))
                case "ridge": return .ridge(penalty: c.config.inner.ridge!)
                default: return .exact
                }
            }
            inner = solver(rate: c.config.inner.rate, steps: c.config.inner.steps)
            test = c.config.test_inner.map { solver(rate: $0.rate, steps: $0.steps) } ?? inner
            switch c.config.meta {
            case .infinite: training = .converged
            case let .time(t): training = .gradientFlow(rate: 1, time: t)
            case let .steps(rate, count): training = .gradientDescent(rate: rate, steps: count)
            }
        }

        func gbml(_ method: GBMLMethod) throws -> MetaTrainedGBML {
            try MetaTrainedGBML(tasks: tasks, kernels: kernels,
                                settings: GBMLSettings(method: method, innerSolver: inner, testSolver: test, training: training,
                                                       diagonalRegularization: c.config.diag_reg))
        }

        func mtl() throws -> TrainedMTL {
            try TrainedMTL(tasks: tasks, kernels: kernels,
                           settings: MTLSettings(data: c.config.mtl.data == "merged" ? .merged : .query,
                                                 headCorrelation: c.config.mtl.rho,
                                                 newHead: c.config.mtl.new_head == "mean" ? .mean : .initialization,
                                                 testSolver: test, training: training,
                                                 diagonalRegularization: c.config.diag_reg))
        }
    }

    func testEveryPredictorReferenceCase() throws {
        let cases = try Fixtures.predictorCases()
        XCTAssertEqual(cases.count, 12)
        for c in cases {
            let setup = try Setup(c)
            for method in GBMLMethod.allCases {
                let error = maxRelativeError(try setup.gbml(method).predictions(), c.expectedPredictions(method.rawValue))
                print("predictor reference \(c.name) \(method.rawValue): max relative error \(error)")
                XCTAssertLessThan(error, 1e-8, "\(c.name) \(method)")
            }
            let error = maxRelativeError(try setup.mtl().predictions(), c.expectedPredictions("mtl"))
            print("predictor reference \(c.name) mtl: max relative error \(error)")
            XCTAssertLessThan(error, 1e-8, "\(c.name) mtl")
        }
    }

    /// The distances and their summaries (mean, population std, median) match the references.
    /// They are ratios of predictions that match to 1e-8, so they match to ~1e-7 relative.
    func testDistancesMatchTheReferences() throws {
        for c in try Fixtures.predictorCases() {
            let setup = try Setup(c)
            let mtl = try setup.mtl().predictions()
            for method in GBMLMethod.allCases {
                let expected = try XCTUnwrap(c.distances["mtl_vs_\(method.rawValue)"])
                let closeness = Closeness(mtl, from: try setup.gbml(method).predictions())
                for (k, distance) in closeness.perTask.enumerated() {
                    XCTAssertEqual(try XCTUnwrap(distance.relative), expected.relative[k], accuracy: 1e-7 * expected.relative[k])
                    XCTAssertEqual(distance.rms, expected.rms[k], accuracy: 1e-7 * expected.rms[k])
                }
                for (mine, theirs) in [(closeness.relative, expected.relative_summary), (closeness.rms, expected.rms_summary)] {
                    XCTAssertEqual(mine.mean, theirs.mean, accuracy: 1e-7 * theirs.mean, c.name)
                    XCTAssertEqual(mine.standardDeviation, theirs.std, accuracy: 1e-7 * theirs.mean, c.name)
                    XCTAssertEqual(mine.median, theirs.median, accuracy: 1e-7 * theirs.median, c.name)
                }
            }
        }
    }

    /// The two forms of the GBML test predictor (through f_meta, and through the cross
    /// meta-kernel Φ(test, 𝒳)·α) agree to round-off amplified by cond Φ.
    func testTheTwoGBMLPredictorFormsAgree() throws {
        for c in try Fixtures.predictorCases() {
            let setup = try Setup(c)
            for method in GBMLMethod.allCases {
                let gbml = try setup.gbml(method)
                let difference = maxRelativeError(try gbml.predictionsThroughCrossMetaKernel(), try gbml.predictions())
                XCTAssertLessThan(difference, 1e-11, "\(c.name) \(method)")
            }
        }
    }
}
