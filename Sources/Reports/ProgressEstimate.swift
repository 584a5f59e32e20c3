/// The time left in work made of units of unequal cost (a depth sweep: kernels ∝ L; a width
/// sweep: a step ∝ h²), each with an estimated relative cost `weights[i]`. The rate is measured
/// on the units done in this run: seconds per unit of weight, times the weight left. Units
/// skipped (already done by an earlier, resumed run) count as done but not in the rate.
///
/// With equal weights this is the usual elapsed·(left/done); with weights proportional to the
/// true costs it is exact whatever the order of the units.
public struct ProgressEstimate: Sendable {
    public let weights: [Double]
    /// Units finished (worked on or skipped), in order.
    public private(set) var done = 0
    /// The weight of the units worked on in this run.
    private var workedWeight = 0.0
    /// The weight of all units done.
    private var doneWeight = 0.0
    public let totalWeight: Double

    /// `weights` must be positive and finite; anything else counts as 1.
    public init(weights: [Double]) {
        self.weights = weights.map { $0 > 0 && $0.isFinite ? $0 : 1 }
        totalWeight = self.weights.reduce(0, +)
    }

    /// Equal units.
    public init(units: Int) { self.init(weights: Array(repeating: 1, count: max(units, 1))) }

    public var count: Int { weights.count }

    /// The next `units` units finished after work.
    public mutating func finish(_ units: Int = 1) { advance(units, worked: true) }

    /// The next `units` units found already done.
    public mutating func skip(_ units: Int = 1) { advance(units, worked: false) }

    private mutating func advance(_ units: Int, worked: Bool) {
        let end = min(weights.count, done + max(units, 0))
        let weight = weights[done..<end].reduce(0, +)
        doneWeight += weight
        if worked { workedWeight += weight }
        done = end
    }

    /// The share of the total weight done, 0…1.
    public var fraction: Double { totalWeight > 0 ? min(1, doneWeight / totalWeight) : 1 }

    /// Seconds left after `elapsed` seconds of this run's work; nil before any unit was worked on.
    public func remaining(elapsed: Double) -> Double? {
        guard workedWeight > 0 else { return done >= weights.count ? 0 : nil }
        return elapsed / workedWeight * max(0, totalWeight - doneWeight)
    }
}
