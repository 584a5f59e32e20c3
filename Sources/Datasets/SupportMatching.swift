import FewShot
import LinearAlgebra

/// Baselines that label each query with the label of its closest support point: no training
/// tasks are used. Predictions are the one-hot label rows of the chosen support points (the
/// first one wins a tie).
public enum SupportMatching: String, Sendable, CaseIterable {
    /// Euclidean distance between the input vectors (pixel space for images).
    case nearestNeighbour = "nearest-neighbour"
    /// The modified Hausdorff distance (Dubuisson & Jain 1994) between the inked-pixel sets of
    /// square images, each set centred on its own mean as in Lake et al.'s baseline:
    /// d(A, B) = max(mean_{a∈A} min_{b∈B} ‖a − b‖, mean_{b∈B} min_{a∈A} ‖a − b‖). A pixel is
    /// inked when its value exceeds the image's minimum (the background of a standardized
    /// Omniglot image is its smallest value).
    case modifiedHausdorff = "hausdorff"

    /// One prediction matrix per test task of `tasks`.
    public func predictions(_ tasks: TaskSet) throws(DatasetError) -> [Matrix] {
        var side = 0
        if self == .modifiedHausdorff {
            side = Int(Double(tasks.inputDimension).squareRoot().rounded())
            guard side * side == tasks.inputDimension else {
                throw .invalidSetting(parameter: "tasks", message: "must hold square images for the Hausdorff baseline; "
                    + "the inputs have dimension \(tasks.inputDimension), not a square")
            }
        }
        let test = tasks.test, width = side
        let slots = PredictionSlots(UnsafeMutableBufferPointer<Matrix>.allocate(capacity: test.count))
        defer { slots.buffer.deallocate() }
        ParallelLoop.forEachChunk(count: test.count) { range in
            for t in range { (slots.buffer.baseAddress! + t).initialize(to: self.predictions(test[t], side: width)) }
        }
        let result = Array(slots.buffer)
        slots.buffer.baseAddress!.deinitialize(count: test.count)
        return result
    }

    /// The predictions of one task (side > 0: Hausdorff on side × side images).
    private func predictions(_ task: FewShotTask, side: Int) -> Matrix {
        let supports = (0..<task.supportCount).map { task.supportInputs.row($0) }
        let supportPoints = side > 0 ? supports.map { Self.inkedPoints($0, side: side) } : []
        var f = Matrix(rows: task.queryCount, columns: task.supportLabels.columns)
        for q in 0..<task.queryCount {
            let x = task.queryInputs.row(q)
            let distances: [Double]
            if side > 0 {
                let points = Self.inkedPoints(x, side: side)
                distances = supportPoints.map { Self.modifiedHausdorff(points, $0) }
            } else {
                distances = supports.map { s in zip(s, x).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
            }
            let best = distances.indices.min { distances[$0] < distances[$1] }!
            for j in 0..<f.columns { f[q, j] = task.supportLabels[best, j] }
        }
        return f
    }

    /// Row and column of each inked pixel, minus their mean.
    static func inkedPoints(_ image: [Double], side: Int) -> [(Double, Double)] {
        let floor = image.min()!
        var points: [(Double, Double)] = []
        for (i, v) in image.enumerated() where v > floor { points.append((Double(i / side), Double(i % side))) }
        guard !points.isEmpty else { return [] }
        let n = Double(points.count)
        let mr = points.reduce(0) { $0 + $1.0 } / n, mc = points.reduce(0) { $0 + $1.1 } / n
        return points.map { ($0.0 - mr, $0.1 - mc) }
    }

    /// max(mean over A of the distance to B, mean over B of the distance to A); ∞ if a set is empty.
    static func modifiedHausdorff(_ a: [(Double, Double)], _ b: [(Double, Double)]) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return .infinity }
        func meanClosest(_ from: [(Double, Double)], _ to: [(Double, Double)]) -> Double {
            var total = 0.0
            for p in from {
                var best = Double.infinity
                for q in to {
                    let dr = p.0 - q.0, dc = p.1 - q.1
                    best = min(best, dr * dr + dc * dc)
                }
                total += best.squareRoot()
            }
            return total / Double(from.count)
        }
        return max(meanClosest(a, b), meanClosest(b, a))
    }
}

/// One prediction matrix per task, each slot written by one worker only.
private struct PredictionSlots: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Matrix>
    init(_ buffer: UnsafeMutableBufferPointer<Matrix>) { self.buffer = buffer }
}
