import FewShot
import LinearAlgebra
import XCTest

/// Accuracy, MSE and their interval on hand-made predictions.
final class ClassificationScoresTests: XCTestCase {
    private func task(queryLabels: [Int], ways: Int) -> FewShotTask {
        func oneHot(_ labels: [Int]) -> Matrix {
            Matrix(rowArrays: labels.map { l in (0..<ways).map { $0 == l ? 1.0 : 0.0 } })
        }
        let x = Matrix(rowArrays: queryLabels.map { [Double($0), 1] })
        return FewShotTask(supportInputs: x, supportLabels: oneHot(queryLabels), queryInputs: x, queryLabels: oneHot(queryLabels))
    }

    func testAccuracyAndMSEOnHandMadePredictions() throws {
        let tasks = try TaskSet(train: [task(queryLabels: [0, 1], ways: 3)],
                                test: [task(queryLabels: [0, 1, 2, 2], ways: 3), task(queryLabels: [1, 0], ways: 3)])
        let predictions = [
            // right, right (tie between 1 and 2: the first wins), wrong, right
            Matrix(rowArrays: [[0.9, 0.1, 0], [0, 0.5, 0.5], [1, 0, 0], [0.2, 0.3, 0.4]]),
            // wrong, wrong
            Matrix(rowArrays: [[1, 0, 0], [0, 0, 2]]),
        ]
        let scores = try ClassificationScores(tasks: tasks, predictions: predictions)
        XCTAssertEqual(scores.accuracy, [0.75, 0])
        // Task 0: (0.01 + 0.01 + 0) + (0 + 0.25 + 0.25) + (1 + 0 + 1) + (0.04 + 0.09 + 0.36) = 3.01 over 12 entries.
        XCTAssertEqual(scores.meanSquaredError[0], 3.01 / 12, accuracy: 1e-15)
        // Task 1: (1 + 1 + 0) + (1 + 0 + 4) = 7 over 6 entries.
        XCTAssertEqual(scores.meanSquaredError[1], 7 / 6.0, accuracy: 1e-15)
    }

    func testPredictionsThatDoNotFitAreRefused() throws {
        let tasks = try TaskSet(train: [task(queryLabels: [0, 1], ways: 2)], test: [task(queryLabels: [0, 1], ways: 2)])
        XCTAssertThrowsError(try ClassificationScores(tasks: tasks, predictions: [])) {
            XCTAssertEqual("\($0)", "test has 1 tasks, but there are predictions for 0")
        }
        XCTAssertThrowsError(try ClassificationScores(tasks: tasks, predictions: [Matrix(rowArrays: [[1, 0]])])) {
            XCTAssertEqual("\($0)", "test[0].query.y is 2×2, but its predictions are 1×2")
        }
    }
}
