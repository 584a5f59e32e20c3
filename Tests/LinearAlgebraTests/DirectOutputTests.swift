import Foundation
import LinearAlgebra
import XCTest

/// `DirectOutput.write` from an `OutputBlockBuffer`: whatever the file offset (page-aligned or
/// not, with head and tail pages partly filled, in several blocks written out of order), the file
/// holds exactly the bytes written, and bytes written before them are kept.
final class DirectOutputTests: XCTestCase {
    func testBlocksAtAnyOffsetLandExactly() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ntkbridge-direct-\(getpid()).bin").path
        defer { unlink(path) }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        defer { close(descriptor) }
        let direct = DirectOutput.openDirect(path)   // −1 is fine: everything goes through `descriptor`
        defer { if direct >= 0 { close(direct) } }
        let header = [UInt8](repeating: 0x5A, count: 128)
        try header.withUnsafeBytes { try FileDescriptorOutput.writeAll(descriptor, $0.baseAddress!, count: $0.count) }
        // Blocks of 3 000 doubles (not a page multiple) after the 128-byte header, last first.
        let blockCount = 3000, blocks = 5
        var expected = Data(header)
        var contents: [[Double]] = []
        for b in 0..<blocks { contents.append((0..<blockCount).map { Double(b * blockCount + $0) + 0.25 }) }
        let buffer = OutputBlockBuffer(capacity: blockCount * 8)
        for b in (0..<blocks).reversed() {
            let offset = 128 + b * blockCount * 8
            let start = buffer.start(forFileOffset: offset)
            for k in 0..<blockCount { start[k] = contents[b][k] }
            try DirectOutput.write(descriptor, direct: direct, start, count: blockCount * 8, at: offset)
        }
        for block in contents { block.withUnsafeBytes { expected.append(contentsOf: $0) } }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), expected)
    }

    /// Populating the upper triangle of an untouched 4 KiB-page buffer (rows long enough that
    /// whole lower pages stay out) leaves zeros there and the buffer fully usable.
    func testPopulatedUpperTriangleIsZeroAndWritable() {
        let n = 700
        let buffer = OutputBlockBuffer(capacity: n * n * 8, hugePages: false)
        let base = buffer.start(forFileOffset: 128)
        AllocatorTuning.populateUpperTriangle(base, size: n)
        for i in stride(from: 0, to: n, by: 37) {
            for j in i..<n { XCTAssertEqual(base[i * n + j].bitPattern, 0, "(\(i), \(j))") }
        }
        for k in 0..<(n * n) { base[k] = Double(k) }
        XCTAssertEqual(base[n * n - 1], Double(n * n - 1))
        XCTAssertEqual(base[(n - 1) * n], Double((n - 1) * n))
    }
}
