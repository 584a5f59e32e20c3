import ArgumentParser
import FewShot
import Foundation
import Reports

/// `ntkbridge tasks`: a seeded task file from a task family (theory.md §2).
struct TasksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks",
        abstract: "Write a task file drawn from a seeded task family.",
        discussion: """
            Families: sinusoid (y = A·sin(x − φ), inputs on the unit circle, d = 2), teacher (a shared \
            random ReLU teacher, inputs on the sphere S^{d−1}), linear-rep (y = a_iᵀBx, shared rank-r B), \
            classification (C-way K-shot tasks from --data, a CSV whose last column is the class label; \
            --support and --query then count points per class). The same flags and seed give the same file.
            """)

    @Option(help: ArgumentHelp("sinusoid, teacher, linear-rep or classification.", valueName: "family"))
    var family: String

    @Option(name: .customLong("train-tasks"), help: ArgumentHelp("N, the number of training tasks.", valueName: "N"))
    var trainTasks: Int

    @Option(name: .customLong("test-tasks"), help: ArgumentHelp("M, the number of test tasks.", valueName: "M"))
    var testTasks: Int

    @Option(help: ArgumentHelp("n', support points per task (per class for classification).", valueName: "n'"))
    var support: Int

    @Option(help: ArgumentHelp("n, query points per task (per class for classification).", valueName: "n"))
    var query: Int

    @Option(help: ArgumentHelp("The seed.", valueName: "s"))
    var seed: UInt64

    @OptionGroup var familyOptions: TaskFamilyOptions

    @Option(help: ArgumentHelp("The task file to write.", valueName: "T.json"))
    var out: String

    func run() throws {
        let family = try familyOptions.family(named: self.family)
        let tasks = try family.tasks(trainTasks: trainTasks, testTasks: testTasks, support: support, query: query, seed: seed)
        try AtomicOutput.write(Data(tasks.taskFileText().utf8), to: out)
    }
}

/// The flags that select and configure a task family (shared by `tasks` and `closeness`).
struct TaskFamilyOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Input dimension d (teacher, linear-rep; default 8).", valueName: "d"))
    var dim: Int?

    @Option(help: ArgumentHelp("Output columns k (sinusoid, teacher, linear-rep).", valueName: "k"))
    var outputs: Int = 1

    @Option(help: ArgumentHelp("Teacher features m.", valueName: "m"))
    var features: Int = 32

    @Option(help: ArgumentHelp("Rank r of linear-rep's shared B.", valueName: "r"))
    var rank: Int = 2

    @Option(parsing: .unconditional, help: ArgumentHelp("Label noise σ (linear-rep).", valueName: "σ"))
    var noise: Double = 0

    @Option(name: .customLong("x-scale"), parsing: .unconditional,
            help: ArgumentHelp("s in the sinusoid's lift (x/s, 1)/‖(x/s, 1)‖.", valueName: "s"))
    var xScale: Double = 1

    @Option(help: ArgumentHelp("Labelled CSV for classification (last column: the class).", valueName: "file.csv"))
    var data: String?

    @Option(help: ArgumentHelp("C, classes per classification task.", valueName: "C"))
    var ways: Int = 5

    @Option(name: .customLong("test-class-fraction"), parsing: .unconditional,
            help: ArgumentHelp("Share of classes kept for test tasks.", valueName: "f"))
    var testClassFraction: Double = 0.5

    func family(named name: String) throws -> TaskFamily {
        switch name {
        case "sinusoid":
            if let dim, dim != 2 { throw ValidationError("--dim: sinusoid inputs are 2-dimensional (the unit circle), got \(dim)") }
            return .sinusoid(outputs: outputs, inputScale: xScale)
        case "teacher":
            return .teacher(dimension: dim ?? 8, outputs: outputs, features: features)
        case "linear-rep":
            return .linearRepresentation(dimension: dim ?? 8, rank: rank, outputs: outputs, noise: noise)
        case "classification":
            guard let data else { throw ValidationError("--family classification needs --data file.csv") }
            return .classification(try LabelledData(csvFile: data), ways: ways, testClassFraction: testClassFraction)
        default:
            throw ValidationError("--family must be sinusoid, teacher, linear-rep or classification, got '\(name)'")
        }
    }
}
