import FewShot
import Foundation
import LinearAlgebra
import XCTest

/// The task file's two forms: JSON (read in one pass when well formed, by the general reader
/// otherwise) and .npz (numpy's archive of named .npy arrays); both read back bit for bit.
final class TaskFileFormatsTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("taskfile-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    private func sample() throws -> TaskSet {
        try TaskFamily.teacher(dimension: 3, outputs: 2, features: 8)
            .tasks(trainTasks: 12, testTasks: 3, support: 4, query: 5, seed: 5)
    }

    private func bits(_ tasks: TaskSet) -> [[UInt64]] {
        (tasks.train + tasks.test).flatMap { t in
            [t.supportInputs, t.supportLabels, t.queryInputs, t.queryLabels ?? Matrix(rows: 0, columns: 0)]
                .map { $0.elements.map(\.bitPattern) + [UInt64($0.rows), UInt64($0.columns)] }
        }
    }

    func testNPZRoundTripsBitForBit() throws {
        let tasks = try sample()
        try tasks.writeNPZ(to: path("t.npz"))
        let read = try TaskSet(taskFile: path("t.npz"))
        XCTAssertEqual(bits(read), bits(tasks))
        XCTAssertEqual(read.test.map { $0.queryLabels == nil }, tasks.test.map { $0.queryLabels == nil })
    }

    func testNPZProblemsNameTheMember() throws {
        try Data("not a zip".utf8).write(to: URL(fileURLWithPath: path("bad.npz")))
        XCTAssertThrowsError(try TaskSet(taskFile: path("bad.npz"))) { error in
            XCTAssertTrue("\(error)".contains("bad.npz") && "\(error)".contains(".npz archive"), "\(error)")
        }
        // A task set whose first training task lacks query labels cannot be a training set.
        let tasks = try sample()
        let unlabelled = try TaskSet(train: tasks.train, test: tasks.train.map {
            FewShotTask(supportInputs: $0.supportInputs, supportLabels: $0.supportLabels, queryInputs: $0.queryInputs, queryLabels: nil)
        })
        try unlabelled.writeNPZ(to: path("ok.npz"))
        XCTAssertEqual(try TaskSet(taskFile: path("ok.npz")).test.count, 12)
    }

    func testJSONFastPathEqualsTheGeneralReader() throws {
        let tasks = try sample()
        let text = tasks.taskFileText()
        try Data(text.utf8).write(to: URL(fileURLWithPath: path("t.json")))
        let fast = try TaskSet(taskFile: path("t.json"))
        let general = try TaskSet(taskFileText: text, source: "t.json")
        XCTAssertEqual(bits(fast), bits(general))
        XCTAssertEqual(bits(fast), bits(tasks))
        // Extra keys, reordered keys and whitespace are fine on both paths.
        let odd = "{\"meta\": {\"seed\": [1, \"a\\\"b\", null, true]}, \"test\": [], \"train\": [\r\n"
            + "{\"query\": {\"y\": [[1]], \"x\": [[2.5e-1]]}, \"support\": {\"x\": [[1]], \"y\": [[0]]}, \"id\": 7}]}"
        try Data(odd.utf8).write(to: URL(fileURLWithPath: path("odd.json")))
        XCTAssertEqual(try TaskSet(taskFile: path("odd.json")).train.first?.queryInputs, Matrix(rowArrays: [[0.25]]))
    }

    func testMalformedJSONStillGetsLocatedMessages() throws {
        let text = "{\"train\": [\n{\"support\": {\"x\": [[1, 2], [3]], \"y\": [[0], [1]]},\n \"query\": {\"x\": [[1, 1]], \"y\": [[1]]}}],\n \"test\": []}"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path("bad.json")))
        XCTAssertThrowsError(try TaskSet(taskFile: path("bad.json"))) { error in
            XCTAssertTrue("\(error)".hasPrefix(path("bad.json") + ":2:"), "\(error)")
            XCTAssertTrue("\(error)".contains("train[0].support.x[1]"), "\(error)")
        }
    }

    func testLabelledDataFromTextAndNPY() throws {
        let text = "# features then label\r\n1,2,cat\r\n3 , 4 , dog\r\n\r\n5,6,cat"
        let data = try LabelledData(csvText: text, source: "d.csv")
        XCTAssertEqual(data.inputs, Matrix(rowArrays: [[1, 2], [3, 4], [5, 6]]))
        XCTAssertEqual(data.classes, ["cat", "dog"])
        XCTAssertEqual(data.classOfRow, [0, 1, 0])
        let spaced = try LabelledData(csvText: "1 2 7\n3 4 8\n", source: "d.txt")
        XCTAssertEqual(spaced.classes, ["7", "8"])
        let m = Matrix(rowArrays: [[1, 2, 7], [3, 4, 8]])
        let npy = NPYHeader.encoded(rows: 2, columns: 3) + m.elements.withUnsafeBytes { Array($0) }
        try Data(npy).write(to: URL(fileURLWithPath: path("d.npy")))
        let fromNPY = try LabelledData(csvFile: path("d.npy"))
        XCTAssertEqual(fromNPY.inputs, spaced.inputs)
        XCTAssertEqual(fromNPY.classes, ["7", "8"])
        XCTAssertThrowsError(try LabelledData(csvText: "1,2,a\n3,x,b\n", source: "bad.csv")) { error in
            XCTAssertTrue("\(error)".hasPrefix("bad.csv:2: column 2"), "\(error)")
        }
    }
}
