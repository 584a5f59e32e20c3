import FewShot

/// The test tasks' rows of `StackedPoints`, for trainers that run one forward pass on all test
/// points (they follow the training points: each test task's support, then its query).
extension StackedPoints {
    /// The rows of all test points.
    var testPoints: Range<Int> { trainingPoints.upperBound..<inputs.rows }

    /// Test task j's support rows, counted from the first test point.
    func localTestSupport(_ j: Int) -> Range<Int> { shiftedToTestPoints(testSupport[j]) }

    /// Test task j's query rows, counted from the first test point.
    func localTestQuery(_ j: Int) -> Range<Int> { shiftedToTestPoints(testQuery[j]) }

    private func shiftedToTestPoints(_ range: Range<Int>) -> Range<Int> {
        let first = trainingPoints.upperBound
        return (range.lowerBound - first)..<(range.upperBound - first)
    }
}
