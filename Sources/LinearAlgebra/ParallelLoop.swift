import Foundation

/// Work split over the machine's cores.
public enum ParallelLoop {
    /// The number of worker threads used by `forEachChunk`.
    public static var workerCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Calls `body` once for every index range of a partition of `0..<count` into chunks whose
    /// estimated costs are about equal, on all cores. `cost(i)` estimates the work of item i
    /// (for example the length of row i of a triangle). `body` calls BLAS only inside
    /// `BLASBackend.withThreadCount(1)`: OpenBLAS's own threads would compete with the workers.
    public static func forEachChunk(count: Int, cost: (Int) -> Double = { _ in 1 },
                                    _ body: @Sendable (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = balancedChunks(count: count, pieces: min(count, workerCount * 8), cost: cost)
        if chunks.count == 1 || workerCount == 1 {
            chunks.forEach(body)
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunks.count) { body(chunks[$0]) }
    }

    /// `forEachChunk` with guided chunks: each chunk takes about 1/(2·workers) of the cost still
    /// left, down to 1/(64·workers) of the total, so the last chunks are small and the workers
    /// finish together (for long, even-cost loops where one equal chunk left to a single worker
    /// would idle the others for a noticeable time). Chunks run in order.
    public static func forEachGuidedChunk(count: Int, cost: (Int) -> Double = { _ in 1 },
                                          _ body: @Sendable (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = guidedChunks(count: count, workers: workerCount, cost: cost)
        if chunks.count == 1 || workerCount == 1 {
            chunks.forEach(body)
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunks.count) { body(chunks[$0]) }
    }

    /// Contiguous ranges covering `0..<count` whose costs shrink geometrically (see
    /// `forEachGuidedChunk`).
    public static func guidedChunks(count: Int, workers: Int, cost: (Int) -> Double) -> [Range<Int>] {
        let costs = (0..<count).map(cost)
        let total = costs.reduce(0, +)
        guard total > 0, workers > 1 else { return [0..<count] }
        var chunks: [Range<Int>] = []
        var start = 0, accumulated = 0.0, remaining = total
        var target = max(remaining / Double(2 * workers), total / Double(64 * workers))
        for i in 0..<count {
            accumulated += costs[i]
            if accumulated >= target || i == count - 1 {
                chunks.append(start..<(i + 1))
                start = i + 1
                remaining -= accumulated
                accumulated = 0
                target = max(remaining / Double(2 * workers), total / Double(64 * workers))
            }
        }
        return chunks
    }

    /// Contiguous ranges covering `0..<count`, each with about 1/pieces of the total cost.
    static func balancedChunks(count: Int, pieces: Int, cost: (Int) -> Double) -> [Range<Int>] {
        let costs = (0..<count).map(cost)
        let total = costs.reduce(0, +)
        guard total > 0, pieces > 1 else { return [0..<count] }
        var chunks: [Range<Int>] = []
        var start = 0, accumulated = 0.0
        for i in 0..<count {
            accumulated += costs[i]
            let target = total * Double(chunks.count + 1) / Double(pieces)
            if accumulated >= target || i == count - 1 {
                chunks.append(start..<(i + 1))
                start = i + 1
            }
        }
        return chunks
    }
}
