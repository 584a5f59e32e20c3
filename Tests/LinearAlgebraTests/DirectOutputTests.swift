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

    /// Populating the upper triangle of fresh memory maps every page that holds an entry (i, j),
    /// j ≥ i, leaves the pages wholly below the diagonal unmapped (mincore), reads as zeros and is
    /// writable.
    func testPopulatedUpperTriangleMapsOnlyItsPages() throws {
        let n = 2000, bytes = n * n * 8, page = 4096
        guard let raw = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              raw != MAP_FAILED else { throw XCTSkip("no anonymous mapping") }
        defer { munmap(raw, bytes) }
        _ = madvise(raw, bytes, 15 /* MADV_NOHUGEPAGE: whole 2 MiB pages would map lower pages too */)
        let base = raw.assumingMemoryBound(to: Double.self)
        guard AllocatorTuning.populateUpperTriangle(base, size: n) else {
            throw XCTSkip("madvise(MADV_POPULATE_WRITE) is not offered here (Linux < 5.14)")
        }
        var resident = [UInt8](repeating: 0, count: (bytes + page - 1) / page)
        XCTAssertEqual(mincore(raw, bytes, &resident), 0)
        var lowerOnly = 0
        for p in 0..<resident.count {
            // The page holds an upper entry iff some row i meets it at a column j ≥ i.
            let first = p * page / 8, last = min(n * n, (p + 1) * page / 8) - 1
            let holdsUpper = (first / n...last / n).contains { i in max(first, i * n + i) <= min(last, i * n + n - 1) }
            if holdsUpper {
                XCTAssertEqual(resident[p] & 1, 1, "page \(p) holds upper entries but is not mapped")
            } else {
                lowerOnly += 1
                XCTAssertEqual(resident[p] & 1, 0, "page \(p) holds only lower entries but was mapped")
            }
        }
        XCTAssertGreaterThan(lowerOnly, 100)
        for i in stride(from: 0, to: n, by: 97) {
            for j in i..<n { XCTAssertEqual(base[i * n + j].bitPattern, 0, "(\(i), \(j))") }
        }
        base[n * n - 1] = 1.5
        XCTAssertEqual(base[n * n - 1], 1.5)
    }
}
