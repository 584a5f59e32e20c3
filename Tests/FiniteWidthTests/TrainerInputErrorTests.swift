import FewShot
import FiniteWidth
import InfiniteWidth
import LinearAlgebra
import Paradigms
import XCTest

/// Settings a finite network cannot run are refused before training, with the flag to fix.
final class TrainerInputErrorTests: XCTestCase {
    static let training = TrainingTime.gradientDescent(rate: 1e-3, steps: 2)
    static let discrete = InnerSolver.gradientDescent(rate: 1e-2, steps: 2)

    /// Only `.gradientDescent` inner loops, test-time adaptations and outer schedules can run.
    func testNonDiscreteSolversAndSchedulesAreRefused() throws {
        let tasks = try TrainerFixtures.tasks()
        for solver in [InnerSolver.gradientFlow(rate: 1, time: 1), .ridge(penalty: 0.1), .exact] {
            assertError(try gbml(tasks, GBMLSettings(method: .maml, innerSolver: solver, testSolver: Self.discrete,
                                                     training: Self.training)),
                        .nonDiscreteSolver(loop: "inner loop", solver: solver), mentions: "the inner solver")
            assertError(try gbml(tasks, GBMLSettings(method: .anil, innerSolver: Self.discrete, testSolver: solver,
                                                     training: Self.training)),
                        .nonDiscreteSolver(loop: "test-time adaptation", solver: solver), mentions: "the inner solver")
            assertError(try mtl(tasks, MTLSettings(testSolver: solver, training: Self.training)),
                        .nonDiscreteSolver(loop: "test-time adaptation", solver: solver), mentions: "the inner solver")
        }
        for training in [TrainingTime.converged, .gradientFlow(rate: 1, time: 2)] {
            assertError(try gbml(tasks, GBMLSettings(method: .anil, innerSolver: Self.discrete, training: training)),
                        .nonDiscreteTraining(training), mentions: "the outer steps S")
            assertError(try mtl(tasks, MTLSettings(testSolver: Self.discrete, training: training)),
                        .nonDiscreteTraining(training), mentions: "the outer steps S")
        }
    }

    func testNegativeStepsAndRatesAreRefused() throws {
        let tasks = try TrainerFixtures.tasks()
        let negativeSteps = GBMLSettings(method: .anil, innerSolver: .gradientDescent(rate: 0.01, steps: -1),
                                         training: Self.training)
        XCTAssertThrowsError(try gbml(tasks, negativeSteps)) { XCTAssertTrue("\($0)".hasPrefix("the inner steps τ"), "\($0)") }
        let negativeRate = MTLSettings(testSolver: Self.discrete, training: .gradientDescent(rate: -1, steps: 2))
        XCTAssertThrowsError(try mtl(tasks, negativeRate)) { XCTAssertTrue("\($0)".hasPrefix("the outer rate η"), "\($0)") }
        let testRate = GBMLSettings(method: .maml, innerSolver: Self.discrete, testSolver: .gradientDescent(rate: .nan, steps: 1),
                                    training: Self.training)
        XCTAssertThrowsError(try gbml(tasks, testRate)) { XCTAssertTrue("\($0)".hasPrefix("the test-time rate λ̂"), "\($0)") }
    }

    func testDiagonalRegularizationHeadCorrelationAndWidthAreChecked() throws {
        let tasks = try TrainerFixtures.tasks()
        assertError(try gbml(tasks, GBMLSettings(method: .anil, innerSolver: Self.discrete, training: Self.training,
                                                 diagonalRegularization: 1e-6)),
                    .diagonalRegularization(1e-6), mentions: "the diagonal regularization r")
        assertError(try mtl(tasks, MTLSettings(testSolver: Self.discrete, training: Self.training, diagonalRegularization: 1e-6)),
                    .diagonalRegularization(1e-6), mentions: "the diagonal regularization r")
        for rho in [-0.1, 1.5] {
            assertError(try mtl(tasks, MTLSettings(headCorrelation: rho, testSolver: Self.discrete, training: Self.training)),
                        .headCorrelationOutOfRange(rho), mentions: "the head correlation ρ")
        }
        XCTAssertThrowsError(try mtl(tasks, MTLSettings(testSolver: Self.discrete, training: Self.training), width: 0)) {
            XCTAssertEqual($0 as? FiniteWidthError, .invalidWidth(0))
        }
        XCTAssertThrowsError(try gbml(tasks, GBMLSettings(method: .maml, innerSolver: Self.discrete, training: Self.training),
                                      width: 0)) {
            XCTAssertEqual($0 as? FiniteWidthError, .invalidWidth(0))
        }
    }

    /// Without test tasks a learner still trains, but `predictions()` says there is nothing to
    /// predict and `testLoss()` is nil; test tasks without query labels predict but have no loss.
    func testMissingTestTasksAndLabels() throws {
        let full = try TrainerFixtures.tasks()
        let noTests = try TaskSet(train: full.train, test: [])
        let unlabelled = try TaskSet(train: full.train, test: full.test.map {
            FewShotTask(supportInputs: $0.supportInputs, supportLabels: $0.supportLabels, queryInputs: $0.queryInputs,
                        queryLabels: nil)
        })
        let gbmlSettings = GBMLSettings(method: .anil, innerSolver: Self.discrete, training: Self.training)
        let mtlSettings = MTLSettings(testSolver: Self.discrete, training: Self.training)
        var learners: [any FiniteLearner] = [try gbml(noTests, gbmlSettings), try mtl(noTests, mtlSettings)]
        for index in learners.indices {
            try learners[index].train()
            assertError(try learners[index].predictions(), .noTestTasks, mentions: "no test tasks")
            XCTAssertNil(try learners[index].testLoss())
        }
        for learner in [try gbml(unlabelled, gbmlSettings), try mtl(unlabelled, mtlSettings)] as [any FiniteLearner] {
            XCTAssertEqual(try learner.predictions().count, full.test.count)
            XCTAssertNil(try learner.testLoss())
        }
    }

    func testRegressionShapesAndParameterVectorsAreChecked() throws {
        let architecture = try TrainerFixtures.architecture(.relu, depth: 1)
        let x = TestNetworks.gaussian(5, 3, seed: 1)
        XCTAssertThrowsError(try FiniteRegression(inputs: x, labels: TestNetworks.gaussian(4, 1, seed: 2), testInputs: x,
                                                  architecture: architecture, width: 8, seed: 1, training: Self.training))
        XCTAssertThrowsError(try FiniteRegression(inputs: x, labels: TestNetworks.gaussian(5, 1, seed: 2),
                                                  testInputs: TestNetworks.gaussian(2, 4, seed: 3),
                                                  architecture: architecture, width: 8, seed: 1, training: Self.training)) {
            XCTAssertEqual($0 as? FiniteWidthError, .inputDimensionMismatch(set: "the test inputs x", expected: 3, found: 4))
        }
        let learner = try mtl(try TrainerFixtures.tasks(), MTLSettings(testSolver: Self.discrete, training: Self.training))
        XCTAssertThrowsError(try learner.outerLoss(at: [1, 2, 3])) {
            XCTAssertEqual($0 as? FiniteWidthError, .parameterCountMismatch(expected: learner.parameters.count, found: 3))
        }
    }

    private func gbml(_ tasks: TaskSet, _ settings: GBMLSettings, width: Int = 8) throws -> FiniteGBML {
        try FiniteGBML(tasks: tasks, architecture: TrainerFixtures.architecture(.relu, depth: 1), width: width, seed: 1,
                       settings: settings)
    }

    private func mtl(_ tasks: TaskSet, _ settings: MTLSettings, width: Int = 8) throws -> FiniteMTL {
        try FiniteMTL(tasks: tasks, architecture: TrainerFixtures.architecture(.relu, depth: 1), width: width, seed: 1,
                      settings: settings)
    }

    private func assertError<T>(_ expression: @autoclosure () throws -> T, _ expected: FiniteTrainingError, mentions text: String,
                                file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try expression(), file: file, line: line) { error in
            XCTAssertEqual(error as? FiniteTrainingError, expected, file: file, line: line)
            XCTAssertTrue("\(error)".contains(text), "\(error)", file: file, line: line)
        }
    }
}
