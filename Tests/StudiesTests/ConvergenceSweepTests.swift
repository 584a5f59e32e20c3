import FewShot
import FiniteWidth
import InfiniteWidth
import LinearAlgebra
import Paradigms
import Studies
import XCTest

/// The width-convergence study (theory.md §7).
final class ConvergenceSweepTests: XCTestCase {
    /// Each run's error is the distance between the trained network's predictions and its kernel
    /// predictor, computed here independently; the kernel errors shrink with width.
    func testMeasurementsMatchIndependentComputations() throws {
        let tasks = try TaskFamily.teacher(dimension: 4, outputs: 1, features: 8)
            .tasks(trainTasks: 3, testTasks: 2, support: 3, query: 4, seed: 5)
        let architecture = try Architecture(depth: 1, activation: .relu)
        let settings = FiniteSettings(innerSolver: .gradientDescent(rate: 0.1, steps: 2),
                                      training: .gradientDescent(rate: 0.05, steps: 5))
        let methods: [FiniteMethod] = [.mtl, .anil, .fomaml]
        let reference = try KernelReference(tasks: tasks, architecture: architecture, settings: settings, methods: methods)
        XCTAssertNil(reference.predictions[.fomaml] ?? nil, "FOMAML has no kernel limit")
        var errors: [Int: Double] = [:]
        for width in [32, 512] {
            let m = try ConvergenceSweep.measure(tasks: tasks, architecture: architecture, settings: settings,
                                                 methods: methods, width: width, seed: 4, reference: reference)
            errors[width] = m.ntkError
            for run in m.runs {
                var learner = try settings.learner(run.method, tasks: tasks, architecture: architecture, width: width, seed: 4)
                try learner.train()
                let predictions = try learner.predictions()
                if let kernel = try settings.kernelPredictions(run.method, tasks: tasks, kernels: reference.kernels) {
                    XCTAssertEqual(run.predictionError!, Closeness(predictions, from: kernel).relative.mean, accuracy: 1e-12)
                } else {
                    XCTAssertNil(run.predictionError)
                }
                XCTAssertEqual(run.steps, 5)
            }
            XCTAssertNotNil(m.mtlToANIL, "MTL and ANIL were both trained")
        }
        // 16× the width: the O(1/√h) error falls by about 4 (at least by 2 for this one seed).
        XCTAssertLessThan(errors[512]!, errors[32]! / 2)
    }

    func testSummaryFitsMediansAgainstWidth() {
        func run(_ width: Int, _ seed: UInt64, _ error: Double) -> WidthMeasurement {
            WidthMeasurement(width: width, seed: seed, ntkError: 2 / Double(width).squareRoot(), nngpError: 1 / Double(width),
                             runs: [TrainedRun(method: .anil, predictionError: error, finalOuterLoss: 1, testLoss: nil,
                                               trainingSeconds: 1, steps: 1)], mtlToANIL: nil)
        }
        let measurements = [64, 256, 1024].flatMap { w in
            [run(w, 0, 3 / Double(w).squareRoot()), run(w, 1, 100), run(w, 2, 3.5 / Double(w).squareRoot())]
        }
        let summary = ConvergenceSummary(measurements, analyticMTLToANIL: nil)
        XCTAssertEqual(summary.kernelErrors[0].fit!.slope, -0.5, accuracy: 1e-12)
        XCTAssertEqual(summary.kernelErrors[1].fit!.slope, -1, accuracy: 1e-12)
        // Medians ignore the outlying seed: 3.5/√h at every width.
        XCTAssertEqual(summary.predictionErrors[0].medians[0], 3.5 / 8, accuracy: 1e-15)
        XCTAssertEqual(summary.predictionErrors[0].fit!.slope, -0.5, accuracy: 1e-12)
        XCTAssertNil(summary.mtlToANIL)
    }
}
