/// Mean, population standard deviation and median of a sample of numbers: the one summary used
/// over test tasks (`DistanceSummary`), over seeds (the closeness and convergence studies) and
/// over repeats. An empty sample has NaN for each; the caller decides which values to leave out.
public struct SampleStatistics: Sendable, Equatable {
    public let count: Int
    /// (1/n) Σ xᵢ, summed in the order given.
    public let mean: Double
    /// √((1/n) Σ (xᵢ − mean)²): the population (not the n − 1) standard deviation.
    public let standardDeviation: Double
    /// The middle value, or the mean of the two middle values for an even count.
    public let median: Double

    public init<Values: Collection>(_ values: Values) where Values.Element == Double {
        count = values.count
        guard count > 0 else {
            (mean, standardDeviation, median) = (.nan, .nan, .nan)
            return
        }
        let n = Double(count)
        let m = values.reduce(0, +) / n
        mean = m
        standardDeviation = (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / n).squareRoot()
        let sorted = values.sorted(), middle = count / 2
        median = count % 2 == 1 ? sorted[middle] : 0.5 * (sorted[middle - 1] + sorted[middle])
    }
}
