import Foundation
import LinearAlgebra
import XCTest

/// The CSV and .npy readers: every float64 bit-pattern class round-trips exactly, the text
/// forms users write are accepted, and malformed files are refused with located messages.
final class ReaderTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("reader-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    private func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = folder.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Every class of finite float64: ±0, subnormals, the extremes, and random bit patterns.
    private func bitPatternClasses() -> [Double] {
        var values: [Double] = [0, -0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude,
                                -.leastNormalMagnitude, Double.leastNormalMagnitude.nextDown, .greatestFiniteMagnitude,
                                -.greatestFiniteMagnitude, 1, -1, 0.1, 1e-300, 123456789012345678, 5e-324 * 3, 2.5e-308]
        var g = SeededGenerator(seed: 11)
        while values.count < 600 {
            let bits = g.next()
            let x = Double(bitPattern: bits)
            if x.isFinite { values.append(x) }
        }
        return values
    }

    func testCSVRoundTripsEveryBitPatternClassExactly() throws {
        let values = bitPatternClasses()
        let m = Matrix(rows: values.count / 6, columns: 6, elements: Array(values.prefix(values.count / 6 * 6)))
        var text: [UInt8] = []
        m.withUnsafeBufferPointer { DecimalText.appendCSVLines($0.baseAddress!, rows: 0..<m.rows, columns: 6, to: &text) }
        let read = try Matrix(csvFile: file("bits.csv", text))
        XCTAssertEqual(read.elements.map(\.bitPattern), m.elements.map(\.bitPattern))
        // The same values written by %.17g (not shortest) and space-separated, as numpy.savetxt does.
        let spaced = m.rowArrays.map { $0.map { String(format: "%.17g", $0) }.joined(separator: " ") }.joined(separator: "\n")
        let reread = try Matrix(csvText: "# written by savetxt\n" + spaced + "\n", source: "s.txt")
        XCTAssertEqual(reread.elements.map(\.bitPattern), m.elements.map(\.bitPattern))
    }

    func testLineEndingsSeparatorsAndComments() throws {
        let expected = Matrix(rowArrays: [[1, 2.5, -3], [4, 0.5, 6]])
        for text in ["1,2.5,-3\r\n4,0.5,6\r\n", "1,2.5,-3\r4,0.5,6\r", "1 2.5 -3\n4\t0.5   6\n",
                     "# comment\n\n  1 , 2.5,-3  # trailing\n\r\n4,5e-1 ,6", "1,2.5,-3\n   # indented comment\n4,0.5,6"] {
            XCTAssertEqual(try Matrix(csvText: text, source: "t.csv"), expected, text.debugDescription)
        }
        // Large enough to be scanned in parallel pieces (the cuts land inside "\r\n" pairs too).
        let row = (0..<50).map { "\(Double($0) * 0.1 - 2)" }.joined(separator: ",")
        let big = Array(repeating: row, count: 3000).joined(separator: "\r\n")
        let m = try Matrix(csvText: big, source: "big.csv")
        XCTAssertEqual(m.rows, 3000)
        XCTAssertEqual(m[2999, 49], 49 * 0.1 - 2)
    }

    func testTextErrorsAreLocated() throws {
        func error(_ text: String) -> String {
            do { _ = try Matrix(csvText: text, source: "in.csv"); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertEqual(error("1;2\n"), "in.csv:1: column 1: expected comma-separated numbers, found ';' after a number")
        XCTAssertEqual(error("1,2\r\n3,4\r\n5|6\r\n"), "in.csv:3: column 1: expected comma-separated numbers, found '|' after a number")
        XCTAssertEqual(error("1,2\r3,x\r"), "in.csv:2: column 2: 'x' is not a number")
        XCTAssertEqual(error("1,2\n3,-nan\n"), "in.csv:2: column 2: '-nan' is not finite (NaN and infinities are refused)")
        XCTAssertEqual(error("1,,2\n"), "in.csv:1: column 2: '' is not a number")
        XCTAssertTrue(error("1,2\n3 4 5\n").hasPrefix("in.csv:2: has 3 values, but earlier rows have 2"))
        XCTAssertTrue(error("0x10,1\n").contains("column 1"))
    }

    func testFilesThatAreNotTextAreNamed() throws {
        func error(_ path: String) -> String {
            do { _ = try Matrix(csvFile: path); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertEqual(error(folder.path), "\(folder.path): is a directory, not a file")
        XCTAssertTrue(error("/dev/null").contains("is not a regular file"), error("/dev/null"))
        XCTAssertTrue(error(folder.appendingPathComponent("missing.csv").path).contains("no such file"))
        let latin1 = try file("latin1.csv", Array("1,2\n# caf".utf8) + [0xE9] + Array("\n3,4\n".utf8))
        XCTAssertEqual(error(latin1), "\(latin1): is not UTF-8 text at byte 9 (expected comma-separated numbers)")
        let npy = try file("x.csv", npy(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }", data: [0, 0, 0, 0, 0, 0, 0xF0, 0x3F]))
        XCTAssertTrue(error(npy).contains("looks like a .npy file"), error(npy))
        XCTAssertEqual(try Matrix(matrixFile: npy), Matrix(rowArrays: [[1]]))
    }

    // MARK: .npy

    /// A .npy file with the given dictionary text, padded, in format version `major`.
    private func npy(header: String, data: [UInt8], major: UInt8 = 1) -> [UInt8] {
        var text = Array(header.utf8)
        let prefix = major == 1 ? 10 : 12
        text += [UInt8](repeating: 0x20, count: (64 - (prefix + text.count + 1) % 64) % 64) + [0x0A]
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [major, 0]
        let n = text.count
        bytes += major == 1 ? [UInt8(n & 0xFF), UInt8(n >> 8)] : [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), 0, 0]
        return bytes + text + data
    }

    private func bytes<T>(_ values: [T]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }

    func testNPYEveryDtypeOrderAndVersion() throws {
        let m = Matrix(rowArrays: [[1, -2.5, 3], [0.1, 5e-324, -0.0]])
        let c = m.elements, f = m.transposed().elements
        let cases: [(String, [UInt8], Matrix)] = [
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", bytes(c), m),
            ("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", bytes(f), m),
            ("{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3), }", bytes(c.map { $0.bitPattern.bigEndian }), m),
            ("{\"shape\": (2,3), \"fortran_order\": True, \"descr\": \">f8\"}", bytes(f.map { $0.bitPattern.bigEndian }), m),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", bytes(c.map(Float.init)),
             Matrix(rows: 2, columns: 3, elements: c.map { Double(Float($0)) })),
            ("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", bytes(f.map(Float.init)),
             Matrix(rows: 2, columns: 3, elements: c.map { Double(Float($0)) })),
        ]
        for (k, (header, data, expected)) in cases.enumerated() {
            for major: UInt8 in [1, 2, 3] {
                let path = try file("case\(k)-v\(major).npy", npy(header: header, data: data, major: major))
                let read = try Matrix(npyFile: path)
                XCTAssertEqual(read.elements.map(\.bitPattern), expected.elements.map(\.bitPattern), "\(header) v\(major)")
            }
        }
        // Every bit-pattern class through the writer's header.
        let values = bitPatternClasses()
        let big = Matrix(rows: 100, columns: 6, elements: Array(values.prefix(600)))
        let path = try file("bits.npy", NPYHeader.encoded(rows: 100, columns: 6) + bytes(big.elements))
        XCTAssertEqual(try Matrix(npyFile: path).elements.map(\.bitPattern), big.elements.map(\.bitPattern))
    }

    func testMalformedNPYIsRefusedClearly() throws {
        let one = bytes([1.0])
        let cases: [(String, [UInt8], String)] = [
            ("short-v2", [0x93] + Array("NUMPY".utf8) + [2, 0], "truncated"),
            ("short-v2-length", [0x93] + Array("NUMPY".utf8) + [2, 0, 0xFF, 0xFF], "truncated"),
            ("negative", npy(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 1), }", data: one), "negative"),
            ("huge", npy(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", data: one), "too large"),
            ("overflow-int", npy(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999, 1), }", data: one), "too large"),
            ("i8-with-f8-key", npy(header: "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1), 'note': '<f8'}", data: one), "exactly the keys"),
            ("i8", npy(header: "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1), }", data: one), "dtype '<i8'"),
            ("structured", npy(header: "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1, 1), }", data: one), "structured"),
            ("nan", npy(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }", data: bytes([Double.nan])), "row 1, column 1"),
            ("inf", npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }", data: bytes([Float.infinity])), "NaN and infinities"),
            ("truncated-data", npy(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }", data: one), "truncated"),
            ("trailing", npy(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }", data: one + one), "after the data"),
            ("three-d", npy(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1), }", data: one), "3 dimensions"),
            ("version", [0x93] + Array("NUMPY".utf8) + [9, 0, 0, 0], "version 9.0"),
            ("not-dict", npy(header: "('descr', '<f8')", data: one), "not a dictionary"),
            ("garbage", npy(header: "{'descr': '<f8', 'fortran_order': Maybe, 'shape': (1, 1)}", data: one), "Maybe"),
        ]
        for (name, content, expected) in cases {
            let path = try file("\(name).npy", content)
            XCTAssertThrowsError(try Matrix(npyFile: path), name) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(name): \(error)")
                XCTAssertTrue("\(error)".hasPrefix(path), "\(name): \(error)")
            }
        }
    }
}
