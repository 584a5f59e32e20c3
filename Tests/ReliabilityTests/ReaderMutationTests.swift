import FewShot
import Foundation
import LinearAlgebra
import Reports
import TestSupport
import XCTest

/// A bounded random-mutation test of the readers (CSV matrices, JSON task files, .npy): a few
/// thousand byte-level mutations of valid files, from a fixed seed. Every input either parses
/// or is refused with an error that names the file (and, for text, the line or field); none
/// crashes or hangs. (`make fuzz` runs the same readers under libFuzzer for millions of inputs.)
final class ReaderMutationTests: XCTestCase {
    private var scratch: ScratchDirectory!
    /// Mutants are written to /dev/shm when there is one: on ext4, truncating and rewriting a file
    /// forces a flush (auto_da_alloc), ~7 ms per input.
    private var mutantFolder = ""

    override func setUpWithError() throws {
        scratch = try ScratchDirectory()
        mutantFolder = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : scratch.url.path
    }

    override func tearDown() {
        scratch.remove()
        for name in ["m.csv", "t.json", "m.npy"] { unlink(mutantFolder + "/ntkbridge-mutant-\(getpid())-" + name) }
    }

    /// How many mutants of each seed file are read (3 seeds per reader → 3 000 per reader).
    private let mutantsPerSeed = 1000

    func testCSVReaderSurvivesMutations() throws {
        let seeds = ["1,2.5,-3\n4,0.5,6\n", "# header comment\n0.1,0.2\n\n-1e-3,7E+2\n", "3\n"]
        try mutate(seeds.map { Data($0.utf8) }, name: "m.csv", onDisk: false) { path, bytes in
            _ = try Matrix(csvText: String(decoding: bytes, as: UTF8.self), source: path)
        }
    }

    func testTaskFileReaderSurvivesMutations() throws {
        let tasks = try TaskFamily.sinusoid(outputs: 1, inputScale: 1).tasks(trainTasks: 2, testTasks: 1, support: 2, query: 2, seed: 4)
        let seeds = [tasks.taskFileText(),
                     #"{"train": [{"support": {"x": [[1, 2]], "y": [[0.5]]}, "query": {"x": [[3, 4]], "y": [[1]]}}], "test": []}"#,
                     #"{"train": [{"support": {"x": [[1e-3]], "y": [[-2]]}, "query": {"x": [[0]], "y": [[1]]}}]}"#]
        try mutate(seeds.map { Data($0.utf8) }, name: "t.json", onDisk: false) { path, bytes in
            _ = try TaskSet(taskFileText: String(decoding: bytes, as: UTF8.self), source: path)
        }
    }

    func testNpyReaderSurvivesMutations() throws {
        var seeds: [Data] = []
        for (rows, columns) in [(2, 3), (1, 1), (4, 2)] {
            let path = scratch.path("seed.npy")
            try MatrixFileFormat.npy.write(Matrix(rows: rows, columns: columns, elements: (0..<(rows * columns)).map { Double($0) / 3 }),
                                           to: path)
            seeds.append(try XCTUnwrap(FileManager.default.contents(atPath: path)))
        }
        try mutate(seeds, name: "m.npy", locatedBy: []) { path, _ in _ = try Matrix(npyFile: path) }
    }

    /// Reads `mutantsPerSeed` mutants of each seed; a refusal must name the file (and contain
    /// one of `locatedBy`, the words that locate an error inside a text file, when given).
    /// Text readers are given the bytes directly (`onDisk: false`, decoded as UTF-8 the way the
    /// file readers decode them); the .npy reader reads each mutant from a file.
    private func mutate(_ seeds: [Data], name: String, locatedBy: [String] = [":", "line", "["], onDisk: Bool = true,
                        count: Int? = nil, read: (String, Data) throws -> Void) throws {
        var generator = SeededGenerator(seed: 0x8_2026)
        let path = mutantFolder + "/ntkbridge-mutant-\(getpid())-" + name
        var parsed = 0, refused = 0
        for seed in seeds {
            for _ in 0..<(count ?? mutantsPerSeed) {
                let mutant = Mutator.mutate(seed, using: &generator)
                if onDisk { try Mutator.overwrite(path, with: mutant) }
                do {
                    try read(path, mutant)
                    parsed += 1
                } catch {
                    refused += 1
                    let message = "\(error)"
                    XCTAssertTrue(message.contains(path), "the error names the file: \(message)")
                    if !locatedBy.isEmpty {
                        XCTAssertTrue(locatedBy.contains { message.dropFirst(path.count).contains($0) }, "located: \(message)")
                    }
                }
            }
        }
        XCTAssertEqual(parsed + refused, seeds.count * (count ?? mutantsPerSeed))
        XCTAssertGreaterThan(refused, 0, "the mutations reach the error paths")
    }
}

/// Byte-level mutations in the style of libFuzzer's: flip a bit, set a byte to an interesting
/// value, insert or delete a run, duplicate a run, truncate, or splice in a token.
enum Mutator {
    static let tokens = [",", "\n", "\r\n", "\r", "-", "e", "E+308", "nan", "inf", "1e309", "0x1p3", "\"", "[", "]", "{", "}",
                         ":", "null", "9223372036854775807", "-1", "'<i8'", "'fortran_order': True", "(", ")", "\u{0}", "\u{FF}"]

    /// Rewrites the file in place (truncate, write).
    static func overwrite(_ path: String, with data: Data) throws {
        guard let file = fopen(path, "wb") else { throw CocoaError(.fileWriteUnknown) }
        defer { fclose(file) }
        _ = data.withUnsafeBytes { fwrite($0.baseAddress, 1, data.count, file) }
    }

    static func mutate(_ data: Data, using generator: inout SeededGenerator) -> Data {
        var bytes = [UInt8](data)
        let edits = 1 + Int(generator.next() % 4)
        for _ in 0..<edits {
            let position = bytes.isEmpty ? 0 : Int(generator.next() % UInt64(bytes.count))
            switch generator.next() % 7 {
            case 0 where !bytes.isEmpty: bytes[position] ^= UInt8(1 << (generator.next() % 8))
            case 1 where !bytes.isEmpty: bytes[position] = [0, 0xFF, 0x7F, 0x80, 0x2C, 0x0A, 0x30][Int(generator.next() % 7)]
            case 2: bytes.insert(contentsOf: (0..<(1 + generator.next() % 8)).map { _ in UInt8(truncatingIfNeeded: generator.next()) },
                                 at: position)
            case 3 where !bytes.isEmpty: bytes.removeSubrange(position..<min(bytes.count, position + 1 + Int(generator.next() % 16)))
            case 4 where !bytes.isEmpty:
                let run = Array(bytes[position..<min(bytes.count, position + 1 + Int(generator.next() % 32))])
                bytes.insert(contentsOf: run, at: Int(generator.next() % UInt64(bytes.count + 1)))
            case 5: bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count + 1))))
            default: bytes.insert(contentsOf: Array(tokens[Int(generator.next() % UInt64(tokens.count))].utf8), at: position)
            }
        }
        return Data(bytes)
    }
}
