import Foundation
import Studies
import XCTest

final class RateFitTests: XCTestCase {
    /// Rate fits recover exact power laws, globally and locally.
    func testRateFitRecoversPowerLaws() throws {
        let x = [1.0, 2, 4, 8, 16, 32]
        let fit = try XCTUnwrap(RateFit(x: x, y: x.map { 3 * pow($0, -0.5) }))
        XCTAssertEqual(fit.slope, -0.5, accuracy: 1e-14)
        XCTAssertEqual(exp(fit.intercept), 3, accuracy: 1e-13)
        XCTAssertTrue(fit.localSlopes.allSatisfy { abs($0 + 0.5) < 1e-13 })
        XCTAssertNil(RateFit(x: [1, 2], y: [0, 0]))
    }
}
