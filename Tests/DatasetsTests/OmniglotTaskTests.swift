import Datasets
import FewShot
import LinearAlgebra
import TestSupport
import XCTest

/// Omniglot task sets: the runs exactly, label-consistent training tasks, held-out alphabets,
/// reproducibility and refused settings.
final class OmniglotTaskTests: XCTestCase {
    private let directory = OmniglotFixtures.directory

    private func family(size: Int = 7, ways: Int = 20, support: Int = 1, query: Int = 1,
                        background: OmniglotBackground = .both, test: OmniglotTest = .runs) throws -> OmniglotTaskFamily {
        try OmniglotTaskFamily(directory: directory, imageSize: size, ways: ways, support: support, query: query,
                               background: background, test: test)
    }

    func testTheTwentyRunsFilesAndLabels() throws {
        let f = try family()
        let (_, runs) = try f.episodes(trainTasks: 1, seed: 3)
        XCTAssertEqual(runs.count, 20)
        for (r, run) in runs.enumerated() {
            let name = String(format: "run%02d", r + 1)
            XCTAssertEqual(run.supportEntries, (1...20).map { String(format: "\(name)/training/class%02d.png", $0) })
            XCTAssertEqual(run.supportLabels, Array(0..<20))
            XCTAssertEqual(run.queryEntries, (1...20).map { String(format: "\(name)/test/item%02d.png", $0) })
            XCTAssertEqual(run.queryLabels, OmniglotFixtures.runLabels[r], name)
        }
        // The task set's test tasks hold exactly those drawings and one-hot labels.
        let tasks = try f.tasks(trainTasks: 1, seed: 3)
        XCTAssertEqual(tasks.test.count, 20)
        for r in [0, 19] {
            let task = tasks.test[r]
            XCTAssertEqual(task.supportInputs, try f.features(of: runs[r].supportEntries))
            XCTAssertEqual(task.queryInputs, try f.features(of: runs[r].queryEntries))
            XCTAssertEqual(task.supportLabels, Matrix.identity(20))
            for (q, label) in OmniglotFixtures.runLabels[r].enumerated() {
                XCTAssertEqual(task.queryLabels!.row(q), (0..<20).map { $0 == label ? 1 : 0 })
            }
        }
    }

    func testTrainingTasksAreLabelConsistentWithDistinctDrawers() throws {
        let f = try family(size: 5, ways: 6, support: 3, query: 2, background: .small1, test: .heldOut(episodes: 4))
        let (train, test) = try f.episodes(trainTasks: 12, seed: 11)
        let tasks = try f.tasks(trainTasks: 12, seed: 11)
        for (episode, task) in zip(train + test, tasks.train + tasks.test) {
            var characterOfLabel: [Int: String] = [:]
            var drawersOfLabel: [Int: [String]] = [:]
            for (entry, label) in zip(episode.entries, episode.supportLabels + episode.queryLabels) {
                let parts = entry.split(separator: "/")
                let character = parts[1] + "/" + parts[2]
                XCTAssertEqual(characterOfLabel[label, default: String(character)], String(character), "one character per label")
                characterOfLabel[label] = String(character)
                drawersOfLabel[label, default: []].append(String(parts[3].split(separator: "_")[1]))
            }
            XCTAssertEqual(Set(characterOfLabel.keys), Set(0..<6))
            XCTAssertEqual(Set(characterOfLabel.values).count, 6, "distinct characters")
            for drawers in drawersOfLabel.values {
                XCTAssertEqual(drawers.count, 5)
                XCTAssertEqual(Set(drawers).count, 5, "distinct drawers")
            }
            XCTAssertEqual(episode.supportLabels, [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5])
            XCTAssertEqual(task.supportInputs, try f.features(of: episode.supportEntries))
            XCTAssertEqual(task.queryInputs, try f.features(of: episode.queryEntries))
            for (i, label) in episode.queryLabels.enumerated() {
                XCTAssertEqual(task.queryLabels!.row(i), (0..<6).map { $0 == label ? 1 : 0 })
            }
        }
        XCTAssertTrue(train.allSatisfy { $0.entries.allSatisfy { $0.hasPrefix("images_background_small1/") } })
        // Held-out episodes: small2's alphabets that small1 lacks (not Greek or Latin).
        let heldAlphabets = Set(test.flatMap(\.entries).map { String($0.split(separator: "/")[1]) })
        XCTAssertTrue(heldAlphabets.isSubset(of: ["Japanese_(katakana)", "Sanskrit", "Tagalog"]), "\(heldAlphabets)")
        XCTAssertTrue(test.allSatisfy { $0.entries.allSatisfy { $0.hasPrefix("images_background_small2/") } })
    }

    /// The same seed gives the same tasks; task i does not depend on N; another seed differs;
    /// the union of both splits counts Greek and Latin once.
    func testReproducibleFromTheSeed() throws {
        let f = try family(size: 3, ways: 20, background: .both)
        let a = try f.episodes(trainTasks: 30, seed: 5), b = try f.episodes(trainTasks: 10, seed: 5)
        XCTAssertEqual(Array(a.train.prefix(10)), b.train)
        XCTAssertNotEqual(try f.episodes(trainTasks: 10, seed: 6).train, b.train)
        XCTAssertEqual(try f.tasks(trainTasks: 3, seed: 5), try f.tasks(trainTasks: 3, seed: 5))
        let both = Set(a.train.flatMap(\.entries).map { $0.split(separator: "/")[0] })
        XCTAssertEqual(both, ["images_background_small1", "images_background_small2"])
        XCTAssertFalse(a.train.flatMap(\.entries).contains { $0.hasPrefix("images_background_small2/Greek") })
    }

    func testRefusedSettings() throws {
        func refusal(_ make: () throws -> Any) -> String {
            do { _ = try make(); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertEqual(refusal { try self.family(size: 20) },
                       "imageSize must divide 105 and exceed 1 (one of 3, 5, 7, 15, 21, 35, 105), got 20")
        XCTAssertTrue(refusal { try self.family(support: 15, query: 6) }.hasPrefix("support + query must be at most 20"))
        XCTAssertTrue(refusal { try self.family(ways: 5) }.hasPrefix("ways must be 20 with the one-shot runs"))
        XCTAssertTrue(refusal { try self.family(ways: 5, test: .heldOut(episodes: 2)) }.hasPrefix("test held-out episodes need"))
        XCTAssertEqual(refusal { try self.family(ways: 243).tasks(trainTasks: 1, seed: 1) }, "ways must be 20 with the one-shot runs as test tasks (they are 20-way and the label width is shared), got 243")
        XCTAssertEqual(refusal { try self.family(ways: 243, background: .both, test: .heldOut(episodes: 1)) }.prefix(24), "test held-out episodes n")
        XCTAssertEqual(refusal { try self.family(ways: 137, background: .small1, test: .heldOut(episodes: 1)).tasks(trainTasks: 1, seed: 1) },
                       "ways must be at most 136, the number of characters in the background small1, got 137")
        XCTAssertEqual(refusal { try self.family(ways: 107, background: .small1, test: .heldOut(episodes: 1)).tasks(trainTasks: 1, seed: 1) },
                       "ways must be at most 106, the number of characters in the held-out alphabets of small2, got 107")
    }

    func testDamagedPNGIsNamedByArchiveAndEntry() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try OmniglotFixtures.copyArchives(to: scratch.url.path)
        try ZipSurgery.replace(entry: "run07/test/item03.png", in: scratch.path("all_runs.zip"), with: Array("\u{89}PNG broken".utf8))
        let f = try OmniglotTaskFamily(directory: scratch.url.path, imageSize: 21, ways: 20, support: 1, query: 1)
        XCTAssertThrowsError(try f.tasks(trainTasks: 2, seed: 1)) {
            let message = "\($0)"
            XCTAssertTrue(message.hasPrefix(scratch.path("all_runs.zip") + ": entry run07/test/item03.png is not a readable PNG image"), message)
        }
    }
}
