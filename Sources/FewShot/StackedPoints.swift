import LinearAlgebra

/// Every point of a task set stacked once, so that one symmetric kernel call covers every pair
/// the predictors need and each block is read from it, never recomputed.
///
/// Layout: the training tasks first, task i as X̄_i = [X_i; X'_i] (its query points, then its
/// support points; theory.md §2); then the test tasks, each as [X'; X].
public struct StackedPoints: Sendable {
    public let inputs: Matrix
    public let trainQuery: [Range<Int>]
    public let trainSupport: [Range<Int>]
    public let testSupport: [Range<Int>]
    public let testQuery: [Range<Int>]

    public init(_ tasks: TaskSet) {
        var blocks: [Matrix] = []
        var offset = 0
        func place(_ m: Matrix) -> Range<Int> {
            blocks.append(m)
            defer { offset += m.rows }
            return offset..<(offset + m.rows)
        }
        var trainQuery: [Range<Int>] = [], trainSupport: [Range<Int>] = []
        for task in tasks.train {
            trainQuery.append(place(task.queryInputs))
            trainSupport.append(place(task.supportInputs))
        }
        var testSupport: [Range<Int>] = [], testQuery: [Range<Int>] = []
        for task in tasks.test {
            testSupport.append(place(task.supportInputs))
            testQuery.append(place(task.queryInputs))
        }
        inputs = Matrix.stackingRows(blocks)
        self.trainQuery = trainQuery
        self.trainSupport = trainSupport
        self.testSupport = testSupport
        self.testQuery = testQuery
    }

    /// X̄_i of training task i: its query and support points, contiguous.
    public func trainTask(_ i: Int) -> Range<Int> { trainQuery[i].lowerBound..<trainSupport[i].upperBound }

    /// Test task j's support and query points, contiguous.
    public func testTask(_ j: Int) -> Range<Int> { testSupport[j].lowerBound..<testQuery[j].upperBound }

    /// All training points 𝒳̄ = [X̄_1; …; X̄_N]: the top-left block of the kernel.
    public var trainingPoints: Range<Int> { 0..<(trainSupport.last?.upperBound ?? 0) }
}
