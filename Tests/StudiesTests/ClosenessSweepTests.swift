import FewShot
import InfiniteWidth
import LinearAlgebra
import Paradigms
import Studies
import XCTest

final class ClosenessSweepTests: XCTestCase {
    private let tasks = try! TaskFamily.teacher(dimension: 6, outputs: 1, features: 32)
        .tasks(trainTasks: 8, testTasks: 4, support: 5, query: 5, seed: 41)

    /// Each record equals the distance between predictors computed on their own, one setting at
    /// a time (the sweep only shares kernels, spectra and MTL training).
    func testRecordsEqualIndependentComputations() throws {
        let architecture = try Architecture(depth: 1, activation: .relu)
        let settings = ClosenessSweepSettings(architecture: architecture, depths: [2, 8], innerTimes: [0.01, 1],
                                              headCorrelations: [1, 0.5], methods: [.anil, .maml])
        let records = try ClosenessSweep.run(tasks: tasks, seed: 41, settings: settings)
        XCTAssertEqual(records.count, 2 * 2 * 2 * 2)
        for r in records {
            let kernels = try TaskKernels(tasks: tasks, architecture: architecture.withDepth(r.depth))
            let solver = InnerSolver.gradientFlow(rate: 1, time: r.innerTime)
            let gbml = try MetaTrainedGBML(tasks: tasks, kernels: kernels,
                                           settings: GBMLSettings(method: r.method, innerSolver: solver)).predictions()
            let mtl = try TrainedMTL(tasks: tasks, kernels: kernels,
                                     settings: MTLSettings(headCorrelation: r.headCorrelation, testSolver: solver)).predictions()
            let expected = Closeness(mtl, from: gbml)
            XCTAssertEqual(r.relative.mean, expected.relative.mean, accuracy: 1e-12 * expected.relative.mean)
            XCTAssertEqual(r.rms.median, expected.rms.median, accuracy: 1e-12 * expected.rms.median)
            XCTAssertEqual(r.headShare, 1 / Double(r.depth + 1), accuracy: 1e-14)
            XCTAssertNil(r.failure)
        }
    }

    /// As theory.md §6 says, on a well-conditioned task set with critical ReLU: with a short inner loop the
    /// MTL–ANIL gap falls with depth, faster at larger depth; with independent heads (ρ = 0)
    /// nothing learned reaches a new task and the gap does not close.
    func testGapClosesWithDepthOnlyWithSharedHeads() throws {
        let settings = ClosenessSweepSettings(architecture: try Architecture(depth: 1, activation: .relu),
                                              depths: [2, 8, 32, 128], innerTimes: [1e-3], headCorrelations: [1, 0],
                                              methods: [.anil])
        let summary = ClosenessSummary(try ClosenessSweep.run(tasks: tasks, seed: 41, settings: settings))
        let shared = summary.cells.filter { $0.headCorrelation == 1 }.sorted { $0.depth < $1.depth }.map(\.relativeMean)
        XCTAssertTrue(zip(shared, shared.dropFirst()).allSatisfy { $0 > $1 }, "\(shared)")
        let fit = try XCTUnwrap(summary.fits.first { $0.headCorrelation == 1 && $0.against == .depth })
        XCTAssertLessThan(fit.fit.localSlopes.last!, fit.fit.localSlopes.first!, "the depth rate steepens")
        XCTAssertLessThan(fit.fit.slope, -0.3)
        let independent = summary.cells.filter { $0.headCorrelation == 0 }.map(\.relativeMean)
        XCTAssertTrue(independent.allSatisfy { $0 > 0.5 }, "\(independent)")
    }

    /// A system singular to working precision is recorded as a failure with no distance, and the
    /// rest of the sweep goes on.
    func testSingularSystemsAreRecordedNotFatal() throws {
        let twice = try TaskSet(train: tasks.train + [tasks.train[0]], test: tasks.test)
        let settings = ClosenessSweepSettings(architecture: try Architecture(depth: 1, activation: .relu),
                                              depths: [1, 3], innerTimes: [0.1], headCorrelations: [1], methods: [.anil])
        let records = try ClosenessSweep.run(tasks: twice, seed: 1, settings: settings)
        XCTAssertEqual(records.count, 2)
        for r in records {
            XCTAssertNotNil(r.failure)
            XCTAssertTrue(r.relative.mean.isNaN)
            XCTAssertEqual(r.relative.undefinedCount, tasks.test.count)
        }
        XCTAssertNoThrow(try ClosenessSweep.run(tasks: twice, seed: 1, settings: {
            var s = settings
            s.diagonalRegularization = 1e-8
            return s
        }()))
    }

    func testInnerLoopLengths() {
        XCTAssertEqual(InnerLoopLength.continuous(rate: 2).solver(lambdaTau: 0.5), .gradientFlow(rate: 2, time: 0.25))
        XCTAssertEqual(InnerLoopLength.discrete(steps: 5).solver(lambdaTau: 0.5), .gradientDescent(rate: 0.1, steps: 5))
    }
}
