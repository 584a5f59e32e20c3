import FiniteWidth
import Paradigms

/// The cost study's summary: per method, the median and range over repeats of the time per
/// step (wall and CPU), the work per step, and the steps and seconds to reach a target
/// validation loss — with each run's status against the target, so that a target met before
/// training or never met is visible rather than printed as "0 steps, 0 s".
public struct CostSummary: Sendable {
    /// Where a run stands against the target.
    public enum Status: String, Sendable {
        /// Reached after at least one step.
        case reached
        /// Already met at step 0: the time to it says nothing about training.
        case atStart = "at-start"
        /// Not reached within the run.
        case never
    }

    /// The median and range of a sample (NaN for an empty one).
    public struct Spread: Sendable, Equatable {
        public let median: Double
        public let min: Double
        public let max: Double
        public let count: Int

        public init(_ values: [Double]) {
            median = SampleStatistics(values).median
            (min, max, count) = (values.min() ?? .nan, values.max() ?? .nan, values.count)
        }
    }

    public struct MethodSummary: Sendable {
        public let method: FiniteMethod
        public let runs: [CostStudy.Run]
        public let statuses: [Status]
        public let outerRate: Spread
        public let steps: Spread
        public let secondsPerStep: Spread
        public let cpuSecondsPerStep: Spread
        public let pointPassesPerStep: Double
        public let flopsPerStep: Double
        /// Over the runs that reached the target after step 0.
        public let stepsToTarget: Spread
        public let secondsToTarget: Spread
        public let cpuSecondsToTarget: Spread
        public let initialValidationLoss: Spread
        public let bestValidationLoss: Spread
        public let finalValidationLoss: Spread
        public let finalValidationLossOwn: Spread
        public let finalTestLoss: Spread
        public let finalTestLossOwn: Spread

        public func count(_ status: Status) -> Int { statuses.filter { $0 == status }.count }
    }

    public let target: Double
    /// True when the target was chosen by `defaultTarget`.
    public let targetIsDefault: Bool
    public let methods: [MethodSummary]

    /// The default target: the largest (over methods) median best validation loss, the loss
    /// every method reaches in a typical repeat.
    public static func defaultTarget(_ runs: [CostStudy.Run]) -> Double {
        let byMethod = Dictionary(grouping: runs, by: \.method)
        return byMethod.values.map { SampleStatistics($0.map(\.bestValidationLoss)).median }.max() ?? .nan
    }

    public init(_ runs: [CostStudy.Run], target: Double?) {
        let resolved = target ?? Self.defaultTarget(runs)
        (self.target, targetIsDefault) = (resolved, target == nil)
        var order: [FiniteMethod] = []
        for run in runs where !order.contains(run.method) { order.append(run.method) }
        methods = order.map { method in
            let mine = runs.filter { $0.method == method }
            let statuses = mine.map { run -> Status in
                guard let hit = run.firstReaching(resolved) else { return .never }
                return hit.step == 0 ? .atStart : .reached
            }
            let reached = zip(mine, statuses).filter { $0.1 == .reached }.compactMap { $0.0.firstReaching(resolved) }
            func last(_ value: (CostStudy.Evaluation) -> Double?) -> Spread {
                Spread(mine.compactMap { $0.evaluations.last.flatMap(value) })
            }
            return MethodSummary(
                method: method, runs: mine, statuses: statuses, outerRate: Spread(mine.map(\.outerRate)),
                steps: Spread(mine.map { Double($0.steps) }), secondsPerStep: Spread(mine.map(\.secondsPerStep)),
                cpuSecondsPerStep: Spread(mine.map(\.cpuSecondsPerStep)),
                pointPassesPerStep: mine[0].pointPassesPerStep, flopsPerStep: mine[0].flopsPerStep,
                stepsToTarget: Spread(reached.map { Double($0.step) }), secondsToTarget: Spread(reached.map(\.seconds)),
                cpuSecondsToTarget: Spread(reached.map(\.cpuSeconds)),
                initialValidationLoss: Spread(mine.map(\.initialValidationLoss)),
                bestValidationLoss: Spread(mine.map(\.bestValidationLoss)),
                finalValidationLoss: last { $0.validationLoss }, finalValidationLossOwn: last { $0.validationLossOwn },
                finalTestLoss: last { $0.testLoss }, finalTestLossOwn: last { $0.testLossOwn })
        }
    }

    /// Warnings about the target: met at step 0, or never, by some run.
    public var warnings: [String] {
        var result: [String] = []
        for m in methods {
            let (atStart, never) = (m.count(.atStart), m.count(.never))
            if atStart > 0 {
                result.append("\(m.method.rawValue): the target validation loss \(target) is met at step 0 in \(atStart) of "
                              + "\(m.runs.count) runs (initial loss \(m.initialValidationLoss.median)): its time to target "
                              + "says nothing about training; choose a lower target")
            }
            if never > 0 {
                result.append("\(m.method.rawValue): the target validation loss \(target) is never reached in \(never) of "
                              + "\(m.runs.count) runs (best \(zip(m.runs, m.statuses).filter { $0.1 == .never }.map(\.0.bestValidationLoss).min() ?? .nan)); "
                              + "train longer or choose a higher target")
            }
        }
        return result
    }
}
