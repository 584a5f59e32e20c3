import Foundation
import NTKBridgeCommands
import Reports
import TestSupport
import XCTest

/// The command line's shared behaviour: one exit status for every refusal, the subcommand's
/// usage with a flag error, "did you mean" for a misspelt flag, each default printed once.
final class CommandLineBehaviourTests: XCTestCase {
    private var scratch: ScratchDirectory!

    override func setUpWithError() throws { scratch = try ScratchDirectory() }
    override func tearDown() { scratch.remove() }

    func testAMisspeltFlagGetsASuggestionAndTheSubcommandsUsage() throws {
        let result = try CommandRunner.run(["kernel", "--depht", "2", "--x1", "a.csv", "--activation", "relu"], in: scratch.url)
        XCTAssertEqual(result.status, NTKBridge.refusalStatus)
        XCTAssertTrue(result.standardError.contains("Did you mean '--depth'?"), result.standardError)
        XCTAssertTrue(result.standardError.contains("Usage: ntkbridge kernel"), result.standardError)
        let far = try CommandRunner.run(["kernel", "--zzzzzz", "--x1", "a.csv", "--activation", "relu", "--depth", "1"],
                                        in: scratch.url)
        XCTAssertEqual(far.status, NTKBridge.refusalStatus)
        XCTAssertFalse(far.standardError.contains("Did you mean"), "no suggestion for a flag close to none")
    }

    func testValidationErrorsShowTheSubcommandsUsageAndEveryRefusalOneStatus() throws {
        let invalid = try CommandRunner.run(["finite", "--tasks", "t.json", "--method", "bogus", "--width", "8", "--depth", "1",
                                             "--activation", "relu", "--inner", "discrete", "--inner-rate", "0.1",
                                             "--inner-steps", "1", "--out", "p.csv"], in: scratch.url)
        XCTAssertEqual(invalid.status, NTKBridge.refusalStatus)
        XCTAssertTrue(invalid.standardError.contains("Usage: ntkbridge finite"), invalid.standardError)
        XCTAssertFalse(invalid.standardError.contains("Usage: ntkbridge <subcommand>"), invalid.standardError)
        let missingFile = try CommandRunner.run(["kernel", "--x1", "absent.csv", "--activation", "relu", "--depth", "1",
                                                 "--out", "k"], in: scratch.url)
        XCTAssertEqual(missingFile.status, NTKBridge.refusalStatus, "a data refusal exits like a flag refusal")
        XCTAssertTrue(missingFile.standardError.contains("absent.csv"), missingFile.standardError)
        let help = try CommandRunner.run(["cost", "--help"], in: scratch.url)
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.standardOutput.contains("--time-budget"), help.standardOutput)
    }

    func testEveryDefaultIsPrintedOnce() throws {
        for subcommand in ["kernel", "tasks", "predict", "closeness", "finite", "convergence", "cost", "plot"] {
            let help = try CommandRunner.run([subcommand, "--help"], in: scratch.url).standardOutput
            XCTAssertFalse(help.isEmpty, subcommand)
            // One block per option: its first line starts with "  -", continuation lines are indented.
            var blocks: [String] = []
            for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("  -") { blocks.append(String(line)) } else if !blocks.isEmpty { blocks[blocks.count - 1] += " " + line }
            }
            for block in blocks where block.contains("(default:") {
                for pattern in [#"\(default [0-9a-z]"#, #"\(default\)"#, #"; default [0-9]"#] {
                    XCTAssertNil(block.range(of: pattern, options: .regularExpression),
                                 "\(subcommand) --help prints a default twice: \(block)")
                }
            }
        }
    }

    func testPlotRedrawsAResultsFolder() throws {
        let empty = try CommandRunner.run(["plot", scratch.path(".")], in: scratch.url)
        XCTAssertEqual(empty.status, NTKBridge.refusalStatus)
        XCTAssertTrue(empty.standardError.contains("no figure scripts"), empty.standardError)
        // A figure with a band, a reference line and an undefined point; its script is kept.
        let plot = LinePlot(title: "Θ̂ against Θ", xLabel: "width h", yLabel: "error", series: [
            LinePlot.Series(label: "data", points: [(64, 0.3), (128, .nan), (256, 0.15), (1024, 0.01)],
                            band: [(64, 0.2, 0.4), (256, 0.1, 0.2), (1024, 0.005, 0.02)]),
            LinePlot.Series(label: "∝ h^{-1/2}", points: [(64, 0.3), (1024, 0.075)], style: .reference),
        ])
        try plot.render(to: scratch.path("figure"))
        let script = try String(contentsOfFile: scratch.path("figure.gp"), encoding: .utf8)
        XCTAssertTrue(script.contains("filledcurves"), "the band is drawn")
        XCTAssertTrue(script.contains("with lines dt 2"), "the reference is a dashed line")
        XCTAssertTrue(script.contains("at first 128.0, graph"), "the undefined point at h = 128 is marked")
        XCTAssertTrue(script.contains("10^{%L}"), "a log axis over more than a decade is labelled 10^k")
        XCTAssertTrue(script.contains("~Θ{.7"), "the hat is overprinted")
        try FileManager.default.removeItem(atPath: scratch.path("figure.png"))
        let redrawn = try CommandRunner.run(["plot", scratch.path(".")], in: scratch.url)
        XCTAssertEqual(redrawn.status, 0, redrawn.standardError)
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch.path("figure.png")))
    }
}
