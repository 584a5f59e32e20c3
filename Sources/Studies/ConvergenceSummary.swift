import FiniteWidth
import Foundation
import Paradigms

/// A convergence study summarized over seeds: per width the median of each error, and the
/// least-squares slope of log(median) against log(width) — about −1/2 for the O(1/√h) rate of
/// theory.md §7.
public struct ConvergenceSummary: Sendable {
    /// One curve against width: a quantity's median over seeds at each width, with its fit.
    public struct Curve: Sendable {
        /// "ntk", "nngp", a method's name, or "mtl-vs-anil".
        public let name: String
        public let widths: [Int]
        public let medians: [Double]
        public let fit: RateFit?
        /// The smallest and largest value over seeds at each width (empty when not known).
        public let lows: [Double]
        public let highs: [Double]

        public init(name: String, widths: [Int], medians: [Double], fit: RateFit?, lows: [Double] = [], highs: [Double] = []) {
            self.name = name
            self.widths = widths
            self.medians = medians
            self.fit = fit
            self.lows = lows
            self.highs = highs
        }
    }

    /// Θ̂ and 𝒦̂ against Θ and 𝒦 at initialisation.
    public let kernelErrors: [Curve]
    /// Each method's predictions against its kernel predictor.
    public let predictionErrors: [Curve]
    /// The finite-width MTL–ANIL distance, and the analytic one it approaches.
    public let mtlToANIL: Curve?
    public let analyticMTLToANIL: Double?

    public init(_ measurements: [WidthMeasurement], analyticMTLToANIL: Double?) {
        let widths = Array(Set(measurements.map(\.width))).sorted()
        func curve(_ name: String, _ value: (WidthMeasurement) -> Double?) -> Curve {
            let samples = widths.map { w in measurements.filter { $0.width == w }.compactMap(value).filter(\.isFinite) }
            let medians = samples.map { SampleStatistics($0).median }
            let kept = widths.indices.filter { medians[$0].isFinite }
            return Curve(name: name, widths: kept.map { widths[$0] }, medians: kept.map { medians[$0] },
                         fit: RateFit(x: kept.map { Double(widths[$0]) }, y: kept.map { medians[$0] }),
                         lows: kept.map { samples[$0].min()! }, highs: kept.map { samples[$0].max()! })
        }
        kernelErrors = [curve("ntk") { $0.ntkError }, curve("nngp") { $0.nngpError }]
        let methods = FiniteMethod.allCases.filter { m in measurements.contains { $0.runs.contains { $0.method == m && $0.predictionError != nil } } }
        predictionErrors = methods.map { m in curve(m.rawValue) { $0.runs.first { $0.method == m }?.predictionError } }
        mtlToANIL = measurements.contains { $0.mtlToANIL != nil } ? curve("mtl-vs-anil") { $0.mtlToANIL } : nil
        self.analyticMTLToANIL = analyticMTLToANIL
    }
}
