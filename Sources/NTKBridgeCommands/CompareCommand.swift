import ArgumentParser
import Foundation
import Reports

/// `ntkbridge compare`: the distance between two prediction files of the same task file, task
/// by task, with the summary `closeness` reports (theory.md §6).
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Distances between two prediction CSVs of the same task file, per test task and summarized.",
        discussion: """
            Reads two files in the format of predict and finite (task,point,y0,…). For each test task prints the \
            relative Frobenius distance ‖A − B‖_F/‖B‖_F (B is the reference; undefined where B = 0) and the RMS \
            distance ‖A − B‖_F/√(n·k), then their mean, population standard deviation and median over tasks. \
            --out D.csv also writes the per-task table (task,points,relative,rms). To compare MTL with GBML as \
            closeness does, give the MTL file first.
            """)

    @Argument(help: ArgumentHelp("The predictions to measure.", valueName: "A.csv"))
    var predictions: String

    @Argument(help: ArgumentHelp("The reference predictions (the denominator of the relative distance).", valueName: "B.csv"))
    var reference: String

    @Option(help: ArgumentHelp("Also write the per-task distances here.", valueName: "D.csv"))
    var out: String?

    func run() throws {
        if let out {
            try RunGuards.refuseCollisions(inputs: [("A.csv", predictions), ("B.csv", reference)], outputs: [("--out", out)])
        }
        let comparison = try PredictionComparison(try PredictionFile.read(predictions), file: predictions,
                                                  reference: try PredictionFile.read(reference), referenceFile: reference)
        if let out {
            let comments = Provenance.comments(commandLine: CommandLine.arguments, seeds: "-",
                                               configuration: "predictions=\(predictions) reference=\(reference)")
            try comparison.table(comments: comments).write(to: out)
        }
        print(comparison.text(title: "compare: \(predictions) against \(reference)"), terminator: "")
    }
}
