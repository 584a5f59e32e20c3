import ArgumentParser
import FewShot
import FiniteWidth
import Foundation
import Paradigms
import Reports
import Studies

/// `ntkbridge convergence`: finite networks trained at growing widths against their kernel
/// predictors (theory.md §7). Resumable.
struct ConvergenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convergence",
        abstract: "Train each method at each width and seed, and measure the distance to the infinite-width predictor.",
        discussion: """
            For every width and seed: the empirical NTK and NNGP at initialisation against the analytic \
            kernels, then each method trained as by `finite` and its test predictions against the kernel \
            predictor with the same discrete hyperparameters, and the finite MTL–ANIL distance beside the \
            analytic one. Writes DIR/convergence.csv (width,seed,method,quantity,value), DIR/summary.csv \
            (medians over seeds and slopes of log median against log width), and figures \
            DIR/prediction_error_vs_width, DIR/kernel_error_vs_width and DIR/mtl_anil_distance_vs_width \
            (.png and .svg). An interrupted study resumes from the widths and seeds already measured.
            """)

    @Option(help: ArgumentHelp("The task file.", valueName: "T.json"))
    var tasks: String

    @Option(help: ArgumentHelp("Methods.", valueName: "list"))
    var methods = "mtl,anil,maml"

    @Option(help: ArgumentHelp("Widths, e.g. 64,128,256,512,1024.", valueName: "list"))
    var widths: String

    @Option(help: ArgumentHelp("The first seed.", valueName: "s"))
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Number of seeds: s, s+1, ….", valueName: "k"))
    var seeds = 3

    @OptionGroup var training: RunOptions

    @Option(help: ArgumentHelp("Output folder.", valueName: "DIR"))
    var out: String

    @Flag(name: .customLong("no-figures"), help: "Skip the gnuplot figures.")
    var noFigures = false

    func run() throws {
        let widthList = try parsePositiveIntegers(widths, flag: "--widths")
        let methodList = try parseFiniteMethods(methods, flag: "--methods")
        guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1, got \(seeds)") }
        if training.network.width != nil { throw ValidationError("--width: use --widths for a convergence study") }
        let taskSet = try TaskSet(taskFile: tasks)
        guard !taskSet.test.isEmpty else { throw CommandFailure("--tasks \(tasks) has no test tasks to predict") }
        let architecture = try training.architecture(), settings = try training.settings(trainTasks: taskSet.train.count)
        let reference = try KernelReference(tasks: taskSet, architecture: architecture, settings: settings, methods: methodList)

        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let tablePath = out + "/convergence.csv"
        let configuration = "tasks=\(tasks) methods=\(methods) " + training.configuration
        let comments = Provenance.comments(commandLine: CommandLine.arguments, seeds: "\(seed)…\(seed + UInt64(seeds) - 1)",
                                           configuration: configuration)
        var table = try ResumableTable.open(tablePath, columns: ConvergenceReport.columns, configuration: configuration,
                                            comments: comments)
        var done = ConvergenceReport.measurements(table, methods: methodList)
        let progress = ProgressReporter(label: "convergence", total: widthList.count * seeds * methodList.count)
        for width in widthList {
            for s in seed..<(seed + UInt64(seeds)) {
                if done.contains(where: { $0.width == width && $0.seed == s }) {
                    progress.advance(by: methodList.count, note: "width \(width), seed \(s) (already in \(tablePath))")
                    continue
                }
                let measured = try ConvergenceSweep.measure(tasks: taskSet, architecture: architecture, settings: settings,
                                                            methods: methodList, width: width, seed: s, reference: reference) {
                    progress.advance(note: "width \(width), seed \(s), \($0.rawValue)")
                }
                done.append(measured)
                let others = table.rows.filter { $0[0] != "\(width)" || $0[1] != "\(s)" }
                table = CSVTable(columns: table.columns, comments: comments, rows: others + ConvergenceReport.rows(measured))
                try table.write(to: tablePath)
            }
        }
        let wanted = done.filter { widthList.contains($0.width) && $0.seed >= seed && $0.seed < seed + UInt64(seeds) }
        let summary = ConvergenceSummary(wanted, analyticMTLToANIL: reference.mtlToANIL)
        try ConvergenceReport.summaryTable(summary, comments: comments).write(to: out + "/summary.csv")
        let setting = "\(training.network.activation), depth \(training.depth), \(taskSet.train.count) tasks"
        if !noFigures {
            do { try ConvergenceReport.renderFigures(summary, in: out, setting: setting) } catch {
                FileHandle.standardError.write(Data("convergence: figures skipped: \(error)\n".utf8))
            }
        }
        print(ConvergenceReport.text(summary, title: "convergence: \(setting), \(seeds) seed(s) → \(out)"), terminator: "")
    }
}

/// A sweep's tidy table, resumed from an earlier run with the same configuration.
enum ResumableTable {
    static func open(_ path: String, columns: [String], configuration: String, comments: [String]) throws -> CSVTable {
        guard FileManager.default.fileExists(atPath: path) else { return CSVTable(columns: columns, comments: comments) }
        let existing = try CSVTable.read(path)
        guard existing.comments.contains("configuration: \(configuration)"), existing.columns == columns else {
            throw CommandFailure("\(path) holds a run with another configuration; choose another --out or remove it "
                                  + "(a sweep resumes only with the same flags, apart from --seeds and the list being swept)")
        }
        return CSVTable(columns: columns, comments: comments, rows: existing.rows)
    }
}
