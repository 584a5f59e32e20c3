import Foundation

/// Least-squares slopes of log(distance) against log(parameter): the rates with which the MTL–GBML
/// gap shrinks in depth L and inner-loop length λτ (theory.md §6). A global slope over all points
/// and local slopes between neighbours are both reported, since the additive form
/// a·λτ + b/L does not fit globally.
public struct RateFit: Sendable, Equatable {
    /// The slope of the least-squares line through (log x, log y).
    public let slope: Double
    /// The intercept of that line (log y at x = 1).
    public let intercept: Double
    /// Slopes between consecutive points, in order of x.
    public let localSlopes: [Double]
    public let pointCount: Int

    /// Fits the points with x > 0 and y > 0 (others cannot be on a log scale); nil with fewer
    /// than two such points.
    public init?(x: [Double], y: [Double]) {
        let points = zip(x, y).filter { $0.0 > 0 && $0.1 > 0 && $0.0.isFinite && $0.1.isFinite }
            .map { (log($0.0), log($0.1)) }.sorted { $0.0 < $1.0 }
        guard points.count >= 2 else { return nil }
        let n = Double(points.count)
        let meanX = points.reduce(0) { $0 + $1.0 } / n, meanY = points.reduce(0) { $0 + $1.1 } / n
        let sxx = points.reduce(0) { $0 + ($1.0 - meanX) * ($1.0 - meanX) }
        let sxy = points.reduce(0) { $0 + ($1.0 - meanX) * ($1.1 - meanY) }
        guard sxx > 0 else { return nil }
        slope = sxy / sxx
        intercept = meanY - slope * meanX
        localSlopes = zip(points, points.dropFirst()).map { ($1.1 - $0.1) / ($1.0 - $0.0) }
        pointCount = points.count
    }
}
