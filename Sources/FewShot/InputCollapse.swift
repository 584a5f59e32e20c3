import LinearAlgebra

/// A task set whose inputs carry no information: every kernel entry would be the same (or the
/// inputs were lost to underflow), so predictions and distances computed on it are meaningless.
public enum InputCollapse: Error, CustomStringConvertible, Equatable {
    /// An input point with zero norm (for example every coordinate underflowed to ±0).
    case zeroNorm(path: String)
    /// Every input point of the set is the same point, to `InputCollapse.tolerance` relative to
    /// its norm (more than one point drawn).
    case allPointsEqual(count: Int)

    /// Points closer than this, relative to their norm, are one point to the kernels: their inner
    /// products agree to ~1e-24 relative, far below float64 rounding (1.1e-16), so every kernel
    /// entry between them is the same number.
    public static let tolerance = 1e-12

    public var description: String {
        switch self {
        case let .zeroNorm(path): return "the input point \(path) has zero norm"
        case let .allPointsEqual(count):
            return "all \(count) input points are the same point (to \(InputCollapse.tolerance) relative to their norm)"
        }
    }
}

extension TaskSet {
    /// Refuses inputs that collapsed: a zero-norm point, or all points equal (to `tolerance`
    /// relative to the first point's norm).
    public func requireDistinctInputs() throws(InputCollapse) {
        var first: [Double]? = nil, firstNorm = 0.0, allEqual = true, count = 0
        for (name, tasks) in [("train", train), ("test", test)] {
            for (i, task) in tasks.enumerated() {
                for (set, x) in [("support", task.supportInputs), ("query", task.queryInputs)] {
                    for r in 0..<x.rows {
                        let point = (0..<x.columns).map { x[r, $0] }
                        guard point.contains(where: { $0 != 0 }) else { throw .zeroNorm(path: "\(name)[\(i)].\(set).x[\(r)]") }
                        count += 1
                        if let first {
                            if allEqual {
                                let distance = zip(first, point).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
                                allEqual = distance <= InputCollapse.tolerance * firstNorm
                            }
                        } else {
                            first = point
                            firstNorm = point.reduce(0) { $0 + $1 * $1 }.squareRoot()
                        }
                    }
                }
            }
        }
        if allEqual && count > 1 { throw .allPointsEqual(count: count) }
    }
}
