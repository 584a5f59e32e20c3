import FewShot
import FiniteWidth
import InfiniteWidth
import LinearAlgebra
import Paradigms
import XCTest

/// Rates are checked before training against the kernels of the network itself at
/// initialisation (theory.md §3, §4, §7): gradient descent of rate r diverges on an eigenvalue
/// s when r·s > 2, so a rate above 2/λ_max is refused with that bound in the message. The
/// eigenvalues are recomputed here from `empiricalKernels` of the network drawn from the same
/// seed (to 1e-10: the same kernels, eigensolved from another block layout). Rates 1% above the
/// bound are refused and rates at half of it train, with an outer loss that falls.
final class RateGuardTests: XCTestCase {
    static let (width, seed) = (64, UInt64(4))

    /// λ against max_i λ_max(κ̂(X'_i, X'_i)): K̂ for ANIL, Θ̂ for MAML.
    func testInnerRateAboveTheBoundIsRefused() throws {
        let tasks = try TrainerFixtures.tasks()
        let architecture = try TrainerFixtures.architecture(.relu, depth: 2)
        for method in GBMLMethod.allCases {
            let largest = try TrainerFixtures.largestSupportEigenvalue(tasks, architecture, width: Self.width,
                                                                       seed: Self.seed, method: method)
            let make = { (factor: Double) in
                let inner = InnerSolver.gradientDescent(rate: factor * 2 / largest, steps: 2)
                return try FiniteGBML(tasks: tasks, architecture: architecture, width: Self.width, seed: Self.seed,
                                      settings: GBMLSettings(method: method, innerSolver: inner,
                                                             training: .gradientDescent(rate: 1e-4, steps: 1)))
            }
            assertRefused(try make(1.01), parameter: .innerRate, largestEigenvalue: largest, "\(method)")
            XCTAssertNoThrow(try make(0.5), "\(method)")
        }
    }

    /// λ̂ against λ_max(κ̂(X', X')) of each test support set (checked at construction).
    func testTestInnerRateAboveTheBoundIsRefused() throws {
        let tasks = try TrainerFixtures.tasks()
        let architecture = try TrainerFixtures.architecture(.tanh, depth: 1)
        let network = try FullyConnectedNetwork(architecture: architecture, inputDimension: 4, width: Self.width, seed: Self.seed)
        let largest = try tasks.test.map { try TrainerFixtures.largestEigenvalue(network.headKernel($0.supportInputs)) }.max()!
        let solver = { (factor: Double) in InnerSolver.gradientDescent(rate: factor * 2 / largest, steps: 2) }
        let gbml = { (factor: Double) in
            try FiniteGBML(tasks: tasks, architecture: architecture, width: Self.width, seed: Self.seed, settings: GBMLSettings(
                method: .anil, innerSolver: .gradientDescent(rate: 1e-3, steps: 1), testSolver: solver(factor),
                training: .gradientDescent(rate: 1e-4, steps: 1)))
        }
        let mtl = { (factor: Double) in
            try FiniteMTL(tasks: tasks, architecture: architecture, width: Self.width, seed: Self.seed,
                          settings: MTLSettings(testSolver: solver(factor), training: .gradientDescent(rate: 1e-4, steps: 1)))
        }
        assertRefused(try gbml(1.01), parameter: .testInnerRate, largestEigenvalue: largest, "anil")
        assertRefused(try mtl(1.01), parameter: .testInnerRate, largestEigenvalue: largest, "mtl")
        XCTAssertNoThrow(try gbml(0.5))
        XCTAssertNoThrow(try mtl(0.5))
    }

    /// η against λ_max of Φ̂ (GBML), Θ̂_MTL (MTL) and Θ̂(X, X) (regression); at η = 1/λ_max
    /// every step lowers the outer loss (a quadratic's loss falls at every step for η < 2/λ_max;
    /// at width 256 the network is close enough to its linearization), and first-order MAML,
    /// which does not follow the gradient, ends lower after 8 steps.
    func testOuterRateAboveTheBoundIsRefusedAndBelowItTrainingLowersTheLoss() throws {
        let tasks = try TrainerFixtures.tasks()
        let architecture = try TrainerFixtures.architecture(.relu, depth: 2)
        let inner = InnerSolver.gradientDescent(rate: 0.05, steps: 2)
        let cases: [(String, (Double) throws -> any FiniteLearner)] = [
            ("anil", { try self.gbml(.anil, tasks, architecture, inner, $0) }),
            ("maml", { try self.gbml(.maml, tasks, architecture, inner, $0) }),
            ("fomaml", { try self.gbml(.maml, tasks, architecture, inner, $0, firstOrder: true) }),
            ("mtl", { η in
                try FiniteMTL(tasks: tasks, architecture: architecture, width: 256, seed: Self.seed,
                              settings: MTLSettings(headCorrelation: 0.5, testSolver: inner,
                                                    training: .gradientDescent(rate: η, steps: 8)))
            }),
            ("regression", { try self.regression(tasks, architecture, $0) }),
        ]
        for (name, make) in cases {
            let largest = try TrainerFixtures.largestEigenvalue(try Self.outerKernel(of: make(1e-6)))
            assertRefused(try make(1.01 * 2 / largest), parameter: .outerRate, largestEigenvalue: largest, name)
            var learner = try make(1 / largest)
            let log = try learner.train()
            let losses = log.entries.map(\.outerLoss)
            print("FiniteWidth: \(name) at η = 1/λ_max: outer loss \(losses.first!) → \(losses.last!)")
            if name == "fomaml" {
                XCTAssertLessThan(losses.last!, losses.first!, name)
            } else {
                for (before, after) in zip(losses, losses.dropFirst()) { XCTAssertLessThan(after, before, name) }
            }
        }
    }

    /// The outer kernel at initialisation: Φ̂ (GBML; MAML's for first-order MAML), Θ̂_MTL, or
    /// Θ̂(X, X) of the network itself (regression).
    private static func outerKernel(of learner: any FiniteLearner) throws -> Matrix {
        switch learner {
        case let gbml as FiniteGBML: return gbml.initialKernelPredictor.metaInducedKernel
        case let mtl as FiniteMTL: return mtl.initialKernelPredictor.multitaskKernel
        case let regression as FiniteRegression: return try regression.initialNetwork.empiricalNTK(regression.inputs)
        default: throw XCTSkip("no outer kernel for \(type(of: learner))")
        }
    }

    private func gbml(_ method: GBMLMethod, _ tasks: TaskSet, _ architecture: Architecture, _ inner: InnerSolver,
                      _ rate: Double, firstOrder: Bool = false) throws -> FiniteGBML {
        let settings = GBMLSettings(method: method, innerSolver: inner, training: .gradientDescent(rate: rate, steps: 8))
        return try FiniteGBML(tasks: tasks, architecture: architecture, width: 256, seed: Self.seed, settings: settings,
                              firstOrder: firstOrder)
    }

    private func regression(_ tasks: TaskSet, _ architecture: Architecture, _ rate: Double) throws -> FiniteRegression {
        try FiniteRegression(inputs: tasks.train[0].queryInputs, labels: tasks.train[0].queryLabels!,
                             testInputs: tasks.test[0].queryInputs, architecture: architecture, width: 256, seed: Self.seed,
                             training: .gradientDescent(rate: rate, steps: 8))
    }

    /// The construction throws `divergentRate` for `parameter`, with the eigenvalue (and so the bound
    /// 2/λ_max) in its message.
    private func assertRefused<T>(_ construction: @autoclosure () throws -> T, parameter: Hyperparameter, largestEigenvalue: Double,
                                  _ name: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try construction(), name, file: file, line: line) { error in
            guard case let .divergentRate(thrown, _, _, largest)? = error as? AdaptationError else {
                return XCTFail("\(name): unexpected error \(error)", file: file, line: line)
            }
            XCTAssertEqual(thrown, parameter, name, file: file, line: line)
            XCTAssertEqual(largest, largestEigenvalue, accuracy: 1e-10 * largestEigenvalue, name, file: file, line: line)
            XCTAssertTrue("\(error)".contains("at most \(2 / largest)"), "\(name): \(error)", file: file, line: line)
        }
    }
}
