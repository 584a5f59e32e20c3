import FewShot
import FiniteWidth
import Studies
import XCTest

/// The modelled costs behind the studies' progress estimates.
final class StudyWorkWeightsTests: XCTestCase {
    /// Convergence: a wide network's cost grows as h²; the units come width by width, seed by
    /// seed, method by method.
    func testConvergenceWeightsGrowAsWidthSquared() throws {
        let tasks = try TaskFamily.teacher(dimension: 4, outputs: 1, features: 8)
            .tasks(trainTasks: 3, testTasks: 1, support: 5, query: 5, seed: 0)
        let settings = FiniteSettings(innerSolver: .gradientDescent(rate: 0.1, steps: 2),
                                      training: .gradientDescent(rate: 0.01, steps: 10))
        let weights = StudyWorkWeights.convergence(widths: [512, 1024], seeds: 2, methods: [.mtl, .maml], settings: settings,
                                                   tasks: tasks, depth: 3, outerSteps: 10)
        XCTAssertEqual(weights.count, 2 * 2 * 2)
        XCTAssertEqual(weights[1] / weights[5], 0.25, accuracy: 0.01, "MAML at h = 512 against h = 1024: (1/2)² within 1%")
        XCTAssertEqual(weights[0], weights[2], accuracy: 1e-9 * weights[0], "every seed of a width costs the same")
        XCTAssertEqual(weights[1], weights[3], accuracy: 1e-9 * weights[1])
        XCTAssertEqual(weights[4] / weights[0], weights[5] / weights[1], accuracy: 0.01 * weights[4] / weights[0],
                       "each method's cost scales alike with the width")
    }

    /// Closeness: a seed's kernel pass (∝ the deepest depth) is done before its first depth is
    /// measured, so that unit carries it; every seed costs the same in total.
    func testClosenessWeightsCarryTheKernelPassOnTheFirstDepth() {
        let weights = StudyWorkWeights.closeness(depths: [1, 16, 256], seeds: 2, points: 400, trainTasks: 20, support: 10,
                                                 query: 10, innerTimes: 5, headCorrelations: 2, methods: 2)
        XCTAssertEqual(weights.count, 6)
        XCTAssertGreaterThan(weights[0], weights[1])
        XCTAssertEqual(weights[1], weights[2])
        XCTAssertEqual(weights[0...2].reduce(0, +), weights[3...5].reduce(0, +), accuracy: 1e-9 * weights[0])
        let shallow = StudyWorkWeights.closeness(depths: [1, 16, 16], seeds: 1, points: 400, trainTasks: 20, support: 10,
                                                 query: 10, innerTimes: 5, headCorrelations: 2, methods: 2)
        XCTAssertGreaterThan(weights[0] - weights[1], 10 * (shallow[0] - shallow[1]), "the kernel pass grows with the deepest depth")
    }
}
