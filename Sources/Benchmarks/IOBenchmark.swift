import FewShot
import Foundation
import LinearAlgebra

/// Readers and writers beside a plain read/write of the same bytes, measured in the same run
/// (the page cache holds the files, so the plain figures are memory-to-memory bandwidth).
enum IOBenchmark {
    static func run(folder: String) throws {
        var g = SeededGenerator(seed: 4)
        let x = Matrix.randomNormal(rows: 4000, columns: 100, using: &g)
        let csv = folder + "/x.csv", npy = folder + "/x.npy"
        print("input/output: a 4000×100 float64 matrix, and a task file of 2000 tasks (d = 16, n = n' = 10)")
        let csvWrite = try Timing.best { try writeFile(csv) { try writeCSVBody(x, $0) } }
        let npyWrite = try Timing.best { try writeFile(npy) { try writeNPYBody(x, $0) } }
        let csvBytes = try fileBytes(csv), npyBytes = try fileBytes(npy)
        line("CSV write (shortest round-trip text)", csvWrite, bytes: csvBytes.count,
             reference: try plainWrite(csvBytes, to: folder + "/plain"))
        line(".npy write", npyWrite, bytes: npyBytes.count, reference: try plainWrite(npyBytes, to: folder + "/plain"))
        line("CSV read (correctly rounded)", try Timing.best { _ = try Matrix(csvFile: csv) }, bytes: csvBytes.count,
             reference: try Timing.best { _ = try InputFileBytes(path: csv) })
        line(".npy read", try Timing.best { _ = try Matrix(npyFile: npy) }, bytes: npyBytes.count,
             reference: try Timing.best { _ = try InputFileBytes(path: npy) })

        let tasks = try TaskFamily.teacher(dimension: 16, outputs: 1, features: 32)
            .tasks(trainTasks: 2000, testTasks: 20, support: 10, query: 10, seed: 1)
        let json = folder + "/t.json", npz = folder + "/t.npz"
        let jsonWrite = try Timing.best { try Data(tasks.taskFileBytes()).write(to: URL(fileURLWithPath: json)) }
        let npzWrite = try Timing.best { try tasks.writeNPZ(to: npz) }
        let jsonBytes = try fileBytes(json), npzBytes = try fileBytes(npz)
        line("task file JSON write", jsonWrite, bytes: jsonBytes.count, reference: try plainWrite(jsonBytes, to: folder + "/plain"))
        line("task file .npz write", npzWrite, bytes: npzBytes.count, reference: try plainWrite(npzBytes, to: folder + "/plain"))
        line("task file JSON read", try Timing.best { _ = try TaskSet(taskFile: json) }, bytes: jsonBytes.count,
             reference: try Timing.best { _ = try InputFileBytes(path: json) })
        line("task file .npz read", try Timing.best { _ = try TaskSet(taskFile: npz) }, bytes: npzBytes.count,
             reference: try Timing.best { _ = try InputFileBytes(path: npz) })
    }

    private static func line(_ name: String, _ seconds: Double, bytes: Int, reference: Double) {
        let rate = Double(bytes) / seconds / 1e6, plain = Double(bytes) / reference / 1e6
        print("  " + name.padding(toLength: 38, withPad: " ", startingAt: 0)
              + String(format: "%7.1f MB in %@  %8.0f MB/s   (plain read/write of the same bytes %8.0f MB/s)",
                       Double(bytes) / 1e6, milliseconds(seconds), rate, plain))
    }

    static func writeFile(_ path: String, _ body: (Int32) throws -> Void) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw FileOutputError(reason: "cannot create \(path)") }
        defer { close(descriptor) }
        try body(descriptor)
    }

    private static func writeCSVBody(_ x: Matrix, _ descriptor: Int32) throws {
        var text: [UInt8] = []
        // The writer's own path: pieces formatted on all cores (Reports.MatrixFileFormat.writeCSV
        // does the same through DecimalText; Benchmarks sits below Reports).
        let pieces = 32
        let source = x
        let texts = (0..<pieces).map { _ in [UInt8]() }
        let box = Pieces(texts)
        ParallelLoop.forEachChunk(count: pieces) { range in
            for k in range {
                var t: [UInt8] = []
                source.withUnsafeBufferPointer {
                    DecimalText.appendCSVLines($0.baseAddress!, rows: (k * source.rows / pieces)..<((k + 1) * source.rows / pieces),
                                               columns: source.columns, to: &t)
                }
                box.set(k, t)
            }
        }
        for k in 0..<pieces { text = box.get(k); try text.withUnsafeBytes { try FileDescriptorOutput.writeAll(descriptor, $0.baseAddress!, count: $0.count) } }
    }

    private static func writeNPYBody(_ x: Matrix, _ descriptor: Int32) throws {
        let header = NPYHeader.encoded(rows: x.rows, columns: x.columns)
        try header.withUnsafeBytes { try FileDescriptorOutput.writeAll(descriptor, $0.baseAddress!, count: $0.count) }
        try x.withUnsafeBufferPointer { try FileDescriptorOutput.writeAll(descriptor, $0.baseAddress!, count: $0.count * 8) }
    }

    private static func fileBytes(_ path: String) throws -> [UInt8] { Array(try InputFileBytes(path: path).storage.dropLast()) }

    private static func plainWrite(_ bytes: [UInt8], to path: String) throws -> Double {
        try Timing.best { try writeFile(path) { d in try bytes.withUnsafeBytes { try FileDescriptorOutput.writeAll(d, $0.baseAddress!, count: $0.count) } } }
    }
}

/// Result slots for parallel workers (each written by one worker).
final class Pieces: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<[UInt8]>
    private let count: Int
    init(_ initial: [[UInt8]]) {
        count = initial.count
        slots = .allocate(capacity: count)
        slots.initialize(from: initial, count: count)
    }
    deinit { slots.deinitialize(count: count); slots.deallocate() }
    func set(_ k: Int, _ value: [UInt8]) { slots[k] = value }
    func get(_ k: Int) -> [UInt8] { slots[k] }
}
