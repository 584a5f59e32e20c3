import Reports
import XCTest

/// The time left of a sweep whose points cost unequally, on synthetic timings: weighting each
/// point by its estimated cost keeps the estimate within 20% where counting points does not.
final class ProgressEstimateTests: XCTestCase {
    /// Replays `seconds` (the true time of each unit) through an estimate with `weights` and
    /// returns the worst relative error of the time left, over every point after the first.
    private func worstError(weights: [Double], seconds: [Double]) -> Double {
        var estimate = ProgressEstimate(weights: weights)
        var elapsed = 0.0, worst = 0.0
        for i in 0..<(seconds.count - 1) {
            elapsed += seconds[i]
            estimate.finish()
            let truth = seconds[(i + 1)...].reduce(0, +)
            let predicted = estimate.remaining(elapsed: elapsed)!
            worst = max(worst, abs(predicted - truth) / truth)
        }
        return worst
    }

    /// A depth sweep (cost ∝ L) with ±5% jitter: the weighted estimate is within 20% (the jitter
    /// alone allows about 1.05/0.95 − 1 ≈ 11%); counting depths is off by far more.
    func testDepthSweepEstimateWithinTwentyPercent() {
        let depths = [1, 2, 4, 8, 16, 32, 64, 128, 256].map(Double.init)
        let jitter = [0.03, -0.05, 0.01, 0.05, -0.02, 0.04, -0.04, 0.0, 0.02]
        let seconds = zip(depths, jitter).map { 0.01 * $0 * (1 + $1) }
        XCTAssertLessThan(worstError(weights: depths, seconds: seconds), 0.2)
        XCTAssertGreaterThan(worstError(weights: Array(repeating: 1, count: depths.count), seconds: seconds), 0.5,
                             "counting units would misjudge a depth sweep (the test can fail)")
    }

    /// A width sweep (cost ∝ h²), three seeds per width: within 20% with weights h².
    func testWidthSweepEstimateWithinTwentyPercent() {
        let widths = [64, 128, 256, 512, 1024].flatMap { Array(repeating: Double($0), count: 3) }
        let seconds = widths.enumerated().map { 1e-6 * $1 * $1 * (1 + 0.04 * sin(Double($0))) }
        XCTAssertLessThan(worstError(weights: widths.map { $0 * $0 }, seconds: seconds), 0.2)
        XCTAssertGreaterThan(worstError(weights: Array(repeating: 1, count: widths.count), seconds: seconds), 0.5)
    }

    /// Units found done by an earlier run count as done but not in the rate.
    func testSkippedUnitsDoNotCountInTheRate() {
        var estimate = ProgressEstimate(weights: [1, 1, 2, 4])
        XCTAssertNil(estimate.remaining(elapsed: 0), "no rate before any unit was worked on")
        estimate.skip(2)
        XCTAssertEqual(estimate.fraction, 0.25, accuracy: 1e-15)
        XCTAssertNil(estimate.remaining(elapsed: 0.001))
        estimate.finish()            // weight 2 took 3 s: 1.5 s per unit of weight
        XCTAssertEqual(estimate.remaining(elapsed: 3)!, 6, accuracy: 1e-12)
        estimate.finish()
        XCTAssertEqual(estimate.remaining(elapsed: 9)!, 0, accuracy: 1e-12)
        XCTAssertEqual(estimate.fraction, 1, accuracy: 1e-15)
    }
}
