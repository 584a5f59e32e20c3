import LinearAlgebra
import XCTest

final class InputFileTests: XCTestCase {
    func testParsesCommentsBlankLinesAndSpaces() throws {
        let m = try Matrix(csvText: "# header comment\n1, 2.5,-3\n\n  4,5e-1 ,6\r\n", source: "x.csv")
        XCTAssertEqual(m, Matrix(rowArrays: [[1, 2.5, -3], [4, 0.5, 6]]))
    }

    func testErrorsNameFileLineAndColumn() {
        func error(_ text: String) -> InputFileError? {
            do {
                _ = try Matrix(csvText: text, source: "in.csv")
                return nil
            } catch { return error as? InputFileError }
        }
        XCTAssertEqual(error("1,2\n# c\n3\n"), .raggedRow(file: "in.csv", line: 3, expected: 2, found: 1))
        XCTAssertEqual(error("1,2\n3,abc\n"), .notANumber(file: "in.csv", line: 2, column: 2, text: "abc"))
        XCTAssertEqual(error("1,\n"), .notANumber(file: "in.csv", line: 1, column: 2, text: ""))
        XCTAssertEqual(error("nan,1\n"), .nonFinite(file: "in.csv", line: 1, column: 1, text: "nan"))
        XCTAssertEqual(error("1,inf\n"), .nonFinite(file: "in.csv", line: 1, column: 2, text: "inf"))
        XCTAssertEqual(error("1,1e999\n"), .nonFinite(file: "in.csv", line: 1, column: 2, text: "1e999"))
        XCTAssertEqual(error("# only a comment\n\n"), .noData(file: "in.csv"))
        XCTAssertEqual(error(""), .noData(file: "in.csv"))
        XCTAssertTrue("\(InputFileError.raggedRow(file: "in.csv", line: 3, expected: 2, found: 1))".hasPrefix("in.csv:3:"))
    }

    func testUnreadableFile() {
        XCTAssertThrowsError(try Matrix(csvFile: "/nonexistent/x.csv")) { error in
            guard case .unreadable(let file, _)? = error as? InputFileError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, "/nonexistent/x.csv")
        }
    }
}
