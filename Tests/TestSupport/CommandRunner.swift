import FewShot
import Foundation
import LinearAlgebra
import Reports

/// Runs the built `ntkbridge` executable as a user would, capturing its exit status and output.
public enum CommandRunner {
    public struct Result: Sendable {
        public let status: Int32
        public let standardOutput: String
        public let standardError: String
    }

    /// The `ntkbridge` binary beside the test bundle (`swift test` builds every product).
    public static var executable: URL {
        let products = Bundle.main.executableURL!.deletingLastPathComponent()
        var directory = products
        while directory.pathExtension == "xctest" || directory.lastPathComponent == "MacOS"
              || directory.lastPathComponent == "Contents" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("ntkbridge")
    }

    public static func run(_ arguments: [String], in directory: URL) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      standardOutput: String(decoding: outData, as: UTF8.self),
                      standardError: String(decoding: errData, as: UTF8.self))
    }
}

/// A fresh folder under the system's temporary folder, removed by `remove()`.
public struct ScratchDirectory {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("ntkbridge-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes text to a file in the folder and returns its path.
    @discardableResult
    public func write(_ text: String, to name: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    /// Writes a matrix as CSV (shortest round-trip decimals) and returns the path.
    @discardableResult
    public func write(_ matrix: Matrix, to name: String) throws -> String {
        try MatrixFileFormat.csv.write(matrix, to: path(name))
        return path(name)
    }

    /// The names in the folder, hidden ones included (temporary files start with a dot).
    public func contents() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: url.path))?.sorted() ?? []
    }

    public func remove() { try? FileManager.default.removeItem(at: url) }

    /// Writes the command tests' small task file — teacher tasks, d = 3, 3 training and 2 test
    /// tasks of 3 support and 4 query points — drawn with `seed`, and returns its path.
    @discardableResult
    public func writeSmallTeacherTasks(seed: UInt64 = 9, to name: String) throws -> String {
        let tasks = try TaskFamily.teacher(dimension: 3, outputs: 1, features: 8)
            .tasks(trainTasks: 3, testTasks: 2, support: 3, query: 4, seed: seed)
        return try write(tasks.taskFileText(), to: name)
    }
}
