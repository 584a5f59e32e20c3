import Foundation
import LinearAlgebra
import XCTest

/// OpenBLAS's idle workers spin for a short window (`BLASBackend.workerSpinExponent`), set by
/// stopping the workers; the next threaded call must start them again and compute correctly,
/// also when two threads call BLAS at once and the workers sleep and wake between calls.
final class BLASWorkerSpinTests: XCTestCase {
    /// The naive triple loop.
    private func naiveProduct(_ a: Matrix, _ b: Matrix) -> Matrix {
        var c = Matrix(rows: a.rows, columns: b.columns)
        for i in 0..<a.rows { for k in 0..<a.columns { for j in 0..<b.columns { c[i, j] += a[i, k] * b[k, j] } } }
        return c
    }

    /// Operands large enough for OpenBLAS to split the product over its threads (m·n·k = 1.5·10⁷,
    /// far above its 2.6·10⁵ threshold), with their naive product.
    private func threadedOperands(seed: UInt64) -> (Matrix, Matrix, Matrix) {
        var g = SeededGenerator(seed: seed)
        let a = Matrix.randomNormal(rows: 300, columns: 200, using: &g)
        let b = Matrix.randomNormal(rows: 200, columns: 250, using: &g)
        return (a, b, naiveProduct(a, b))
    }

    /// Skips unless the BLAS is a pthreads OpenBLAS with at least two threads.
    private func requireThreadedOpenBLAS() throws {
        try XCTSkipIf(BLASBackend.workersRunning == nil, "not a pthreads OpenBLAS: the spin window does not apply")
        try XCTSkipIf(BLASBackend.threadCount < 2, "OpenBLAS runs one thread: it has no workers")
    }

    func testLoadTimeSetsTheShortSpinWindow() throws {
        try XCTSkipIf(BLASBackend.workersRunning == nil, "not a pthreads OpenBLAS: the spin window does not apply")
        try XCTSkipIf(ProcessInfo.processInfo.environment["OPENBLAS_THREAD_TIMEOUT"] != nil,
                      "the user's OPENBLAS_THREAD_TIMEOUT is left alone")
        XCTAssertEqual(BLASBackend.workerSpinExponent, 20, "the constructor in CNumerics did not set the spin window")
    }

    func testThreadedProductAfterStoppingTheWorkersRestartsThemAndIsCorrect() throws {
        try requireThreadedOpenBLAS()
        let threads = BLASBackend.threadCount
        let (a, b, reference) = threadedOperands(seed: 11)
        XCTAssertTrue(BLASBackend.setWorkerSpin(exponent: 20))
        XCTAssertEqual(BLASBackend.workersRunning, false, "setting the window stops the workers")
        let product = a * b
        XCTAssertEqual(BLASBackend.workersRunning, true, "a threaded call starts the workers again")
        XCTAssertEqual(BLASBackend.threadCount, threads, "the thread count survives stopping the workers")
        // 200-term sums of products of standard normals: rounding error ~ √200·2⁻⁵³·|a||b| per
        // entry, about 1e-15 of the largest entry; a half computed by a missing worker is O(1).
        XCTAssertLessThan(product.maxRelativeDifference(to: reference), 1e-13)
    }

    func testConcurrentThreadedProductsWithWorkersSleepingBetweenCalls() throws {
        try requireThreadedOpenBLAS()
        // The shortest window OpenBLAS allows: workers go to sleep after every call, so each
        // call goes through the wake-up path, from two threads at once.
        XCTAssertTrue(BLASBackend.setWorkerSpin(exponent: 4))
        defer { BLASBackend.setWorkerSpin(exponent: 20) }
        let cases = [threadedOperands(seed: 12), threadedOperands(seed: 13)]
        let worst = WorstDifference()
        DispatchQueue.concurrentPerform(iterations: 2) { t in
            let (a, b, reference) = cases[t]
            for call in 0..<25 {
                worst.record((a * b).maxRelativeDifference(to: reference))
                if call % 5 == 0 { usleep(1000) }
            }
        }
        XCTAssertLessThan(worst.value, 1e-13)
    }

    /// After a threaded call the workers sleep within the window (≈ 0.4 ms), so a process that
    /// waits burns no CPU. OpenBLAS's default window spins ≈ 0.1 s (0.1 s of CPU) on an idle core.
    func testIdleWorkersStopSpinningWithinTheWindow() throws {
        try requireThreadedOpenBLAS()
        XCTAssertTrue(BLASBackend.setWorkerSpin(exponent: 20))
        let (a, b, _) = threadedOperands(seed: 14)
        _ = a * b
        let before = processCPUSeconds()
        usleep(300_000)
        let spent = processCPUSeconds() - before
        XCTAssertLessThan(spent, 0.03, "the process used \(spent) s of CPU in 0.3 s of sleep after a threaded call")
    }

    private func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}

private final class WorstDifference: @unchecked Sendable {
    private let lock = NSLock()
    private var worst = 0.0
    var value: Double { lock.withLock { worst } }
    func record(_ difference: Double) { lock.withLock { worst = max(worst, difference.isNaN ? .infinity : difference) } }
}
