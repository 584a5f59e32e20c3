import FewShot
import LinearAlgebra
import TestSupport
import XCTest

final class TaskFileTests: XCTestCase {
    private let valid = """
        {"train": [
          {"support": {"x": [[1, 2], [3, 4]], "y": [[1], [0]] },
           "query": {"x": [[0.5, 0.25]], "y": [[2]]}}
        ],
         "test": [
          {"support": {"x": [[1, 1]], "y": [[0]]}, "query": {"x": [[2, 2], [3, 3]]}}
        ]}
        """

    private func error(_ text: String) -> TaskFileError? {
        do {
            _ = try TaskSet(taskFileText: text, source: "T.json")
            return nil
        } catch { return error }
    }

    func testJSONReaderParsesValuesAndLines() throws {
        let doc = try JSONDocument(parsing: "{\"a\": [1.5e-3, -2, true, null],\n \"b\": \"x\\n\\u00e9\"}")
        let expected = try ["1.5e-3", "-2", "true", "null"].map { try JSONDocument(parsing: $0) }
        XCTAssertEqual(doc["a"]?.value, .array(expected))
        XCTAssertEqual(doc["b"]?.value, .string("x\né"))
        XCTAssertEqual(doc["b"]?.line, 2)
        XCTAssertThrowsError(try JSONDocument(parsing: "{\"a\": [1,\n 2,,]}")) { error in
            XCTAssertEqual((error as? JSONSyntaxError)?.line, 2)
        }
        XCTAssertThrowsError(try JSONDocument(parsing: "[1] x"))
        XCTAssertThrowsError(try JSONDocument(parsing: "{\"a\": \"unterminated}"))
    }

    /// Numbers read back bit for bit, and writing then reading a task set gives the same set.
    func testRoundTripIsBitExact() throws {
        for c in try Fixtures.predictorCases() {
            let tasks = try c.taskSet()
            XCTAssertEqual(try TaskSet(taskFileText: tasks.taskFileText(), source: c.name), tasks, c.name)
        }
        let tasks = try TaskSet(taskFileText: valid, source: "T.json")
        XCTAssertEqual(tasks.train[0].queryInputs, Matrix(rowArrays: [[0.5, 0.25]]))
        XCTAssertNil(tasks.test[0].queryLabels)
        XCTAssertEqual(tasks.inputDimension, 2)
        XCTAssertEqual(tasks.labelWidth, 1)
    }

    /// Every malformed case: a message naming the file, the line and the JSON path.
    func testMalformedFilesNameFileLineAndPath() {
        let cases: [(String, String, Int?, [String])] = [
            (valid.replacingOccurrences(of: "\"train\"", with: "\"trains\""), "", 1, ["missing the key \"train\""]),
            (valid.replacingOccurrences(of: "\"query\": {\"x\": [[0.5, 0.25]], \"y\": [[2]]}", with: "\"query\": {\"x\": [[0.5, 0.25]]}"),
             "train[0].query", 3, ["missing the key \"y\""]),
            (valid.replacingOccurrences(of: "[[1, 2], [3, 4]]", with: "[[1, 2], [3]]"), "train[0].support.x[1]", 2,
             ["has 1 numbers", "earlier rows have 2"]),
            (valid.replacingOccurrences(of: "[[1, 1]]", with: "[[1, 1, 1]]"), "test[0].support.x", 6,
             ["dimension 3", "dimension 2"]),
            (valid.replacingOccurrences(of: "\"y\": [[0]]", with: "\"y\": [[0, 1]]"), "test[0].support.y", 6,
             ["width 2", "width 1"]),
            (valid.replacingOccurrences(of: "\"y\": [[1], [0]] ", with: "\"y\": [[1], [2], [3]]"), "train[0].support.y", 2,
             ["3 label rows for 2 inputs"]),
            (valid.replacingOccurrences(of: "\"x\": [[1, 1]]", with: "\"x\": []"), "test[0].support.x", 6, ["no points"]),
            (valid.replacingOccurrences(of: "[0.5, 0.25]", with: "[0.5, 1e999]"), "train[0].query.x[0][1]", 3, ["not finite"]),
            (valid.replacingOccurrences(of: "[0.5, 0.25]", with: "[0.5, \"NaN\"]"), "train[0].query.x[0][1]", 3,
             ["must be a number"]),
            ("{\"train\": [], \"test\": []}", "train", 1, ["holds no tasks"]),
            ("{\"train\": [", "", 1, ["not valid JSON"]),
            ("[1, 2]", "", 1, ["must be a JSON object"]),
        ]
        for (text, path, line, fragments) in cases {
            guard let e = error(text) else { XCTFail("accepted: \(text)"); continue }
            XCTAssertEqual(e.path, path, "\(e)")
            XCTAssertEqual(e.line, line, "\(e)")
            XCTAssertEqual(e.file, "T.json")
            for fragment in fragments { XCTAssertTrue(e.description.contains(fragment), "'\(fragment)' missing: \(e)") }
        }
    }
}
