import ArgumentParser
import Datasets
import FewShot
import Foundation
import Reports

/// The flags of `tasks --family omniglot` beyond the shared ones (--data, --ways, --support,
/// --query, --train-tasks, --seed).
struct OmniglotTaskOptions: ParsableArguments {
    @Option(name: .customLong("image-size"),
            help: ArgumentHelp("S, the side of the block-averaged images (omniglot; a divisor of 105).", valueName: "S"))
    var imageSize: Int?

    @Option(help: ArgumentHelp("Training characters (omniglot): both minimal background splits, or one of them.",
                               valueName: "split"))
    var background: OmniglotBackground = .both

    @Option(help: ArgumentHelp("Test tasks: runs (default; Lake et al.'s 20 one-shot runs) or held-out:M (omniglot).",
                                valueName: "runs|held-out:M"))
    var test: String = "runs"

    /// The flag of each parameter the Datasets module names in its errors.
    private static let flags = ["imageSize": "--image-size", "ways": "--ways", "support": "--support", "query": "--query",
                                "support + query": "--support + --query", "episodes": "--test held-out:M",
                                "test": "--test", "trainTasks": "--train-tasks"]

    /// The archives in the data folder, as inputs an output must not overwrite.
    static func archives(in data: String?) -> [(String, String)] {
        guard let data else { return [] }
        return ["images_background_small1.zip", "images_background_small2.zip", OmniglotTaskFamily.runsArchiveName]
            .map { ("--data", (data as NSString).appendingPathComponent($0)) }
    }

    /// The task set, refused up front (before any archive is read) when its estimate
    /// (`estimate`) does not fit in memory or on the disk holding `out`.
    func tasks(data: String?, ways: Int, trainTasks: Int, testTasks: Int?, support: Int, query: Int, seed: UInt64,
               out: String) throws -> TaskSet {
        guard let data else { throw ValidationError("--family omniglot needs --data DIR (the folder of the Omniglot zips)") }
        guard let imageSize else { throw ValidationError("--family omniglot needs --image-size S (a divisor of 105)") }
        if testTasks != nil { throw ValidationError("--test-tasks does not apply to omniglot; use --test runs or --test held-out:M") }
        do {
            let family = try OmniglotTaskFamily(directory: data, imageSize: imageSize, ways: ways, support: support, query: query,
                                                background: background, test: try testSetting())
            try RunGuards.refuseOversize(Self.estimate(family, trainTasks: trainTasks, binary: out.lowercased().hasSuffix(".npz")),
                                         outputFolder: RunGuards.folder(of: out), flags: Self.sizeFlags)
            return try family.tasks(trainTasks: trainTasks, seed: seed)
        } catch let DatasetError.invalidSetting(parameter, message) {
            throw ValidationError("\(Self.flags[parameter] ?? parameter) \(message)")
        } catch let error as DatasetError {
            throw CommandFailure("--data: \(error)")
        }
    }

    /// The flags of the sizes an Omniglot task set grows with.
    static let sizeFlags = RunGuards.taskFlags.merging([
        .dimension: "--image-size", .outputs: "--ways", .testTasks: "--test held-out:M",
    ]) { $1 }

    /// The memory and disk of the task set, from the settings alone: N training tasks of
    /// C·(K + Q) points and the test tasks (the 20 runs: 20 tasks of 20 + 20 points; or M
    /// episodes of C·(K + Q)), each point an input of d = S² numbers and a one-hot label of C.
    /// A JSON file holds every number once more as text; a `.npz` file (`binary`) holds its
    /// 8 bytes, and no text is built.
    static func estimate(_ family: OmniglotTaskFamily, trainTasks: Int, binary: Bool) -> ResourceEstimate {
        let perTask = Double(family.ways) * Double(family.support + family.query)
        let testPoints: Double
        switch family.test {
        case .runs: testPoints = Double(OmniglotRun.count) * Double(2 * OmniglotRun.ways)
        case let .heldOut(episodes): testPoints = Double(episodes) * perTask
        }
        let points = Double(trainTasks) * perTask + testPoints
        let text = ResourceEstimate.taskSet(points: points, dimension: Double(family.imageSize * family.imageSize),
                                            outputs: Double(family.ways))
        guard binary else { return text }
        let numbers = text.diskBytes / 25   // taskSet counts 25 bytes of text per number
        return ResourceEstimate(memoryBytes: 3 * 8 * numbers, diskBytes: 8 * numbers, drivenBy: text.drivenBy)
    }

    private func testSetting() throws -> OmniglotTest {
        if test == "runs" { return .runs }
        if test.hasPrefix("held-out:"), let episodes = Int(test.dropFirst("held-out:".count)) { return .heldOut(episodes: episodes) }
        throw ValidationError("--test must be runs or held-out:M (M episodes, a whole number), got '\(test)'")
    }
}

extension OmniglotBackground: ExpressibleByArgument {}
