import FewShot
import FiniteWidth
import InfiniteWidth
import LinearAlgebra
import Paradigms
import XCTest

/// `train()` logs (step, outer loss at θ_s, training seconds, test loss) for s = 0 … S, and the
/// test loss is Σ_j ½‖F_j − Y_j‖² of the predictions.
final class TrainingLogTests: XCTestCase {
    func testTrainingLogRecordsEveryStep() throws {
        let tasks = try TrainerFixtures.tasks()
        let settings = GBMLSettings(method: .maml, innerSolver: .gradientDescent(rate: 0.05, steps: 2),
                                    training: .gradientDescent(rate: 0.05, steps: 5))
        var learner = try FiniteGBML(tasks: tasks, architecture: TrainerFixtures.architecture(.tanh, depth: 2), width: 32,
                                     seed: 2, settings: settings)
        let initialLoss = try learner.outerLoss(), initialTestLoss = try learner.testLoss()!
        var reported: [TrainingLogEntry] = []
        let log = try learner.train(testLossEvery: 2) { reported.append($0) }

        XCTAssertEqual(log.entries, reported)
        XCTAssertEqual(log.entries.map(\.step), Array(0...5))
        XCTAssertEqual(learner.stepsTaken, 5)
        XCTAssertEqual(log.entries[0].outerLoss, initialLoss)
        XCTAssertEqual(log.entries[0].seconds, 0)
        XCTAssertEqual(log.entries[0].testLoss, initialTestLoss)
        XCTAssertEqual(log.entries[5].outerLoss, try learner.outerLoss())
        XCTAssertEqual(log.entries[5].testLoss, try learner.testLoss())
        XCTAssertEqual(log.entries.map { $0.testLoss != nil }, [true, false, true, false, true, true])
        for (before, after) in zip(log.entries, log.entries.dropFirst()) {
            XCTAssertGreaterThanOrEqual(after.seconds, before.seconds)
        }
        XCTAssertGreaterThan(log.entries[5].seconds, 0)

        let target = log.entries[4].testLoss!
        XCTAssertEqual(log.firstReaching(testLoss: target)?.step,
                       log.entries.first { ($0.testLoss ?? .infinity) <= target }!.step)
        XCTAssertNil(log.firstReaching(testLoss: -1))

        XCTAssertEqual(try learner.train().entries.count, 1, "the schedule is done: only the final state is logged")
        let more = try learner.train(steps: 2, testLossEvery: 2)
        XCTAssertEqual(more.entries.map(\.step), [5, 6, 7])
        XCTAssertEqual(more.entries.map { $0.testLoss != nil }, [false, true, true], "the cadence counts steps from 0")
        XCTAssertEqual(more.entries[0].seconds, 0, "a run's clock starts at its call")
    }

    /// Σ_j ½‖F_j − Y_j‖² over test tasks, recomputed from `predictions()` (to round-off).
    func testTestLossIsTheSumLossOfThePredictions() throws {
        let tasks = try TrainerFixtures.tasks(outputs: 2)
        var learner = try FiniteMTL(tasks: tasks, architecture: TrainerFixtures.architecture(.relu, depth: 1), width: 32, seed: 2,
                                    settings: MTLSettings(testSolver: .gradientDescent(rate: 0.05, steps: 3),
                                                          training: .gradientDescent(rate: 0.02, steps: 3)))
        try learner.train()
        let predictions = try learner.predictions()
        let expected = zip(predictions, tasks.test).reduce(0.0) { sum, pair in
            let residual = (pair.0 - pair.1.queryLabels!).frobeniusNorm
            return sum + 0.5 * residual * residual
        }
        XCTAssertEqual(try learner.testLoss()!, expected, accuracy: 1e-12 * expected)
        XCTAssertEqual(predictions.map(\.shapeDescription), tasks.test.map { "\($0.queryCount)×2" })
    }
}
