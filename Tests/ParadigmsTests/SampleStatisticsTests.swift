import Paradigms
import XCTest

final class SampleStatisticsTests: XCTestCase {
    /// Odd and even counts, the population (1/n) spread, and NaN for an empty sample. The sums
    /// are of a few small numbers, so 1e-15 relative covers their rounding.
    func testMeanSpreadAndMedian() {
        let odd = SampleStatistics([5, 1, 3])
        XCTAssertEqual(odd.count, 3)
        XCTAssertEqual(odd.mean, 3, accuracy: 1e-15)
        XCTAssertEqual(odd.median, 3)
        XCTAssertEqual(odd.standardDeviation, (8.0 / 3).squareRoot(), accuracy: 1e-15)
        let even = SampleStatistics([10, 1, 4, 2])
        XCTAssertEqual(even.median, 3)
        XCTAssertEqual(even.mean, 4.25, accuracy: 1e-15)
        XCTAssertEqual(SampleStatistics([7]).standardDeviation, 0)
        let empty = SampleStatistics([Double]())
        XCTAssertEqual(empty.count, 0)
        XCTAssertTrue(empty.mean.isNaN && empty.median.isNaN && empty.standardDeviation.isNaN)
    }
}
