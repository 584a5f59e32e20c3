import Foundation
import Paradigms

/// A closeness sweep summarized over seeds, with the rates fitted in depth and in inner-loop
/// length (theory.md §6: the toolkit measures the gap, fits its rates locally and globally, and
/// reports the conditioning beside them).
public struct ClosenessSummary: Sendable {
    /// One (depth, λτ, ρ, method) point averaged over seeds.
    public struct Cell: Sendable, Equatable {
        public let depth: Int
        public let innerTime: Double
        public let headCorrelation: Double
        public let method: GBMLMethod
        public let seeds: Int
        /// Mean over seeds of the task-mean relative distance, and its population spread.
        public let relativeMean: Double
        public let relativeSpread: Double
        public let rmsMean: Double
        public let rmsSpread: Double
        public let headShare: Double
        public let ntkCondition: Double
        public let supportScale: Double
    }

    /// A rate fit of the mean relative distance: against depth at a fixed λτ, or against λτ at a
    /// fixed depth.
    public struct Fit: Sendable {
        public enum Variable: String, Sendable { case depth, innerTime = "inner_time" }
        public let headCorrelation: Double
        public let method: GBMLMethod
        public let against: Variable
        /// The value of the other variable.
        public let fixedValue: Double
        /// The x values of the fitted points, ascending.
        public let x: [Double]
        public let fit: RateFit
    }

    public let cells: [Cell]
    public let fits: [Fit]

    public init(_ records: [ClosenessRecord]) {
        let groups = Dictionary(grouping: records) { CellKey($0) }
        cells = groups.keys.sorted().map { key in
            let group = groups[key]!
            let relative = SampleStatistics(group.map(\.relative.mean).filter(\.isFinite))
            let rms = SampleStatistics(group.map(\.rms.mean))
            return Cell(depth: key.depth, innerTime: key.innerTime, headCorrelation: key.headCorrelation,
                        method: key.method, seeds: group.count,
                        relativeMean: relative.mean, relativeSpread: relative.standardDeviation,
                        rmsMean: rms.mean, rmsSpread: rms.standardDeviation,
                        headShare: SampleStatistics(group.map(\.headShare)).mean,
                        ntkCondition: SampleStatistics(group.map(\.ntkCondition)).mean,
                        supportScale: SampleStatistics(group.map(\.supportScale)).mean)
        }
        var fits: [Fit] = []
        let series = Dictionary(grouping: cells) { SeriesKey(headCorrelation: $0.headCorrelation, method: $0.method) }
        for key in series.keys.sorted() {
            let group = series[key]!
            for innerTime in Set(group.map(\.innerTime)).sorted() {
                let line = group.filter { $0.innerTime == innerTime }.sorted { $0.depth < $1.depth }
                let x = line.map { Double($0.depth) }
                if let fit = RateFit(x: x, y: line.map(\.relativeMean)) {
                    fits.append(Fit(headCorrelation: key.headCorrelation, method: key.method, against: .depth,
                                    fixedValue: innerTime, x: x, fit: fit))
                }
            }
            for depth in Set(group.map(\.depth)).sorted() {
                let line = group.filter { $0.depth == depth }.sorted { $0.innerTime < $1.innerTime }
                let x = line.map(\.innerTime)
                if let fit = RateFit(x: x, y: line.map(\.relativeMean)) {
                    fits.append(Fit(headCorrelation: key.headCorrelation, method: key.method, against: .innerTime,
                                    fixedValue: Double(depth), x: x, fit: fit))
                }
            }
        }
        self.fits = fits
    }

    private struct CellKey: Hashable, Comparable {
        let headCorrelation: Double, method: GBMLMethod, innerTime: Double, depth: Int
        init(_ r: ClosenessRecord) {
            headCorrelation = r.headCorrelation; method = r.method; innerTime = r.innerTime; depth = r.depth
        }
        static func < (a: CellKey, b: CellKey) -> Bool {
            (-a.headCorrelation, a.method.rawValue, a.innerTime, a.depth) < (-b.headCorrelation, b.method.rawValue, b.innerTime, b.depth)
        }
    }

    private struct SeriesKey: Hashable, Comparable {
        let headCorrelation: Double, method: GBMLMethod
        static func < (a: SeriesKey, b: SeriesKey) -> Bool {
            (-a.headCorrelation, a.method.rawValue) < (-b.headCorrelation, b.method.rawValue)
        }
    }
}
