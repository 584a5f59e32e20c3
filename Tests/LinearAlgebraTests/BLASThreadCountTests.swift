import Foundation
import LinearAlgebra
import XCTest

/// OpenBLAS's thread count is process-wide; overlapping `withThreadCount` sections on two
/// threads must neither restore each other's setting too early nor leave it changed.
final class BLASThreadCountTests: XCTestCase {
    func testOverlappingSectionsRestoreTheOutsideCount() {
        let outside = BLASBackend.threadCount
        BLASBackend.setThreadCount(2)
        let expected = BLASBackend.threadCount   // 2, or fewer where OpenBLAS was built for fewer
        defer { BLASBackend.setThreadCount(outside) }
        let firstOpen = DispatchSemaphore(value: 0), secondOpen = DispatchSemaphore(value: 0)
        let firstClosed = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let secondClosed = DispatchSemaphore(value: 0)
        let observed = Observed()
        // Section A opens, then B opens; A closes while B is still open; then B closes.
        Thread.detachNewThread {
            BLASBackend.withThreadCount(1) {
                firstOpen.signal()
                secondOpen.wait()
            }
            firstClosed.signal()
        }
        firstOpen.wait()
        let second = Thread {
            BLASBackend.withThreadCount(1) {
                secondOpen.signal()
                firstClosed.wait()
                observed.set(BLASBackend.threadCount)   // A has closed, B is still open
                release.wait()
            }
            secondClosed.signal()
        }
        second.start()
        let deadline = Date().addingTimeInterval(10)
        while observed.value == nil && Date() < deadline { usleep(1000) }
        XCTAssertEqual(observed.value, 1, "closing one section must not lift another's thread count")
        release.signal()
        secondClosed.wait()
        XCTAssertEqual(BLASBackend.threadCount, expected,
                       "the count from outside every section comes back when the last one closes")
    }
}

private final class Observed: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Int?
    var value: Int? { lock.withLock { stored } }
    func set(_ v: Int) { lock.withLock { stored = v } }
}
