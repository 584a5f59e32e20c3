import LinearAlgebra
import XCTest

final class ParallelLoopTests: XCTestCase {
    /// Guided chunks cover 0..<count in order, without gaps, and shrink: the first takes about
    /// 1/(2·workers) of the cost, the last at most about 1/(64·workers) of it plus one item.
    func testGuidedChunksCoverTheRangeAndShrink() {
        for (count, workers) in [(1, 2), (7, 2), (2_100, 2), (4_000, 8), (63, 2)] {
            let cost: (Int) -> Double = { Double(count - $0) }   // a triangle's rows
            let chunks = ParallelLoop.guidedChunks(count: count, workers: workers, cost: cost)
            XCTAssertEqual(chunks.first?.lowerBound, 0)
            XCTAssertEqual(chunks.last?.upperBound, count)
            for (a, b) in zip(chunks, chunks.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
            XCTAssertFalse(chunks.contains { $0.isEmpty })
            let total = (0..<count).map(cost).reduce(0, +)
            let costs = chunks.map { $0.map(cost).reduce(0, +) }
            guard count >= 64 * workers else { continue }
            XCTAssertEqual(costs[0] / total, 1 / Double(2 * workers), accuracy: 0.02, "count \(count)")
            XCTAssertLessThanOrEqual(costs.last!, total / Double(64 * workers) + cost(count - 1) + 1e-9)
            XCTAssertGreaterThan(costs[0], 4 * costs[costs.count - 2], "chunks shrink")
        }
    }

    /// Every index runs exactly once.
    func testGuidedLoopRunsEveryIndexOnce() {
        let count = 1_000
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: count)
        hits.initialize(repeating: 0, count: count)
        defer { hits.deallocate() }
        let shared = SharedPointer(hits)
        ParallelLoop.forEachGuidedChunk(count: count, cost: { Double($0 % 7 + 1) }) { range in
            for i in range { shared.base[i] += 1 }
        }
        XCTAssertEqual((0..<count).filter { hits[$0] != 1 }, [])
    }
}
