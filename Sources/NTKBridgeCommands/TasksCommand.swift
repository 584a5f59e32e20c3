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
            --support and --query then count points per class), omniglot (C-way K-shot tasks of Omniglot \
            drawings from the zips in --data, test tasks from --test; see Docs/omniglot.md). The same flags and \
            seed give the same file.
            """)

    @Option(help: ArgumentHelp("The task family.", valueName: "family"))
    var family: TaskFamilyName

    @Option(name: .customLong("train-tasks"), parsing: .unconditional, help: ArgumentHelp("N, the number of training tasks.", valueName: "N"))
    var trainTasks: Int

    @Option(name: .customLong("test-tasks"), parsing: .unconditional,
            help: ArgumentHelp("M, the number of test tasks (not for omniglot).", valueName: "M"))
    var testTasks: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("n', support points per task (per class for classification).", valueName: "n'"))
    var support: Int

    @Option(parsing: .unconditional, help: ArgumentHelp("n, query points per task (per class for classification).", valueName: "n"))
    var query: Int

    @Option(parsing: .unconditional, help: ArgumentHelp("The seed (default: 0).", valueName: "s"),
            transform: parseSeed)
    var seed: UInt64 = 0

    @OptionGroup var familyOptions: TaskFamilyOptions

    @OptionGroup var omniglotOptions: OmniglotTaskOptions

    @Option(help: ArgumentHelp("The task file to write.", valueName: "T.json"))
    var out: String

    func validate() throws {
        try FlagBounds.require(trainTasks, atLeast: 1, "--train-tasks")
        try FlagBounds.require(testTasks, atLeast: 0, "--test-tasks")
        try FlagBounds.require(support, atLeast: 1, "--support")
        try FlagBounds.require(query, atLeast: 1, "--query")
    }

    func run() throws {
        guard let synthetic = family.synthetic else {
            try RunGuards.refuseCollisions(inputs: OmniglotTaskOptions.archives(in: familyOptions.data), outputs: [("--out", out)])
            let tasks = try omniglotOptions.tasks(data: familyOptions.data, ways: familyOptions.ways, trainTasks: trainTasks,
                                                  testTasks: testTasks, support: support, query: query, seed: seed, out: out)
            return try write(tasks)
        }
        let testTasks = try requiredTestTasks()
        let family = try familyOptions.family(named: synthetic)
        try RunGuards.refuseCollisions(inputs: familyOptions.data.map { [("--data", $0)] } ?? [], outputs: [("--out", out)])
        let estimate = try familyOptions.taskSetEstimate(family, trainTasks: trainTasks, testTasks: testTasks, support: support,
                                                         query: query, seed: seed)
        try RunGuards.refuseOversize(estimate.estimate, outputFolder: URL(fileURLWithPath: out).deletingLastPathComponent().path,
                                     flags: RunGuards.taskFlags)
        try write(familyOptions.draw(family, trainTasks: trainTasks, testTasks: testTasks, support: support, query: query,
                                     seed: seed))
    }

    private func write(_ tasks: TaskSet) throws {
        if out.lowercased().hasSuffix(".npz") {
            try tasks.writeNPZ(to: out)   // the binary form numpy reads (TaskFileNPZ.swift)
        } else {
            try AtomicOutput.write(Data(tasks.taskFileBytes()), to: out)
        }
    }

    private func requiredTestTasks() throws -> Int {
        guard let testTasks else { throw ValidationError("--family \(family.rawValue) needs --test-tasks M") }
        return testTasks
    }
}

/// The flags that select and configure a task family (shared by `tasks` and `closeness`).
struct TaskFamilyOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Input dimension d (teacher, linear-rep; default 8).", valueName: "d"))
    var dim: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Output columns k (sinusoid, teacher, linear-rep).", valueName: "k"))
    var outputs: Int = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Teacher features m.", valueName: "m"))
    var features: Int = 32

    @Option(parsing: .unconditional, help: ArgumentHelp("Rank r of linear-rep's shared B.", valueName: "r"))
    var rank: Int = 2

    @Option(parsing: .unconditional, help: ArgumentHelp("Label noise σ (linear-rep).", valueName: "σ"))
    var noise: Double = 0

    @Option(name: .customLong("x-scale"), parsing: .unconditional,
            help: ArgumentHelp("s in the sinusoid's lift (x/s, 1)/‖(x/s, 1)‖.", valueName: "s"))
    var xScale: Double = 1

    @Option(help: ArgumentHelp("Labelled CSV for classification (last column: the class); the Omniglot folder for omniglot.", valueName: "file.csv"))
    var data: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("C, classes per classification task.", valueName: "C"))
    var ways: Int = 5

    @Option(name: .customLong("test-class-fraction"), parsing: .unconditional,
            help: ArgumentHelp("Share of classes kept for test tasks.", valueName: "f"))
    var testClassFraction: Double = 0.5

    func validate() throws {
        try FlagBounds.require(dim, atLeast: 1, "--dim")
        try FlagBounds.require(outputs, atLeast: 1, "--outputs")
        try FlagBounds.require(features, atLeast: 1, "--features")
        try FlagBounds.require(rank, atLeast: 1, "--rank")
        try FlagBounds.require(ways, atLeast: 1, "--ways")
        guard noise >= 0, noise.isFinite else { throw ValidationError("--noise must be a finite number ≥ 0, got \(noise)") }
    }

    /// The memory and disk of a task set of these sizes. For classification a one-task probe draw
    /// gives the input dimension, label width and points per support/query unit (C per class);
    /// the seeded families are sized from the flags alone (their shared teacher weights m × d or
    /// representation r × d included), before anything is drawn.
    func taskSetEstimate(_ family: TaskFamily, trainTasks: Int, testTasks: Int, support: Int, query: Int,
                         seed: UInt64) throws -> (estimate: ResourceEstimate, points: Double) {
        var dimension = Double(dim ?? (self.dataIsSinusoid(family) ? 2 : 8)), labels = Double(outputs), perUnit = 1.0
        if case .classification = family {
            let probe = try draw(family, trainTasks: 1, testTasks: 0, support: 1, query: 1, seed: seed, checkCollapse: false)
            (dimension, labels, perUnit) = (Double(probe.inputDimension), Double(probe.labelWidth), Double(probe.train[0].supportCount))
        }
        let points = (Double(trainTasks) + Double(testTasks)) * (Double(support) + Double(query)) * perUnit
        let shared = ResourceEstimate(memoryBytes: 8 * (Double(features) + Double(rank)) * dimension, drivenBy: [.dimension])
        return (.taskSet(points: points, dimension: dimension, outputs: labels) + shared, points)
    }

    private func dataIsSinusoid(_ family: TaskFamily) -> Bool {
        if case .sinusoid = family { return true }
        return false
    }

    /// Draws the tasks, naming the flag when the draw overflows or the inputs collapse.
    func draw(_ family: TaskFamily, trainTasks: Int, testTasks: Int, support: Int, query: Int, seed: UInt64,
              checkCollapse: Bool = true) throws -> TaskSet {
        let tasks: TaskSet
        do {
            tasks = try family.tasks(trainTasks: trainTasks, testTasks: testTasks, support: support, query: query, seed: seed)
        } catch let error as TaskSetError {
            if case .linearRepresentation = family, error.message == "is not finite" {
                throw CommandFailure("--noise \(noise) is too large: a drawn label overflowed (\(error)); "
                                     + "the labels are aᵀBx + noise·N(0, 1), so --noise must keep them finite")
            }
            throw CommandFailure("the drawn tasks are invalid: \(error)")
        }
        guard checkCollapse else { return tasks }
        do {
            try tasks.requireDistinctInputs()
        } catch {
            let cause: String
            if case .sinusoid = family { cause = "--x-scale \(xScale) makes the lifted inputs (x/s, 1)/‖(x/s, 1)‖ collapse" }
            else { cause = "the family's inputs collapsed" }
            throw CommandFailure("\(cause): \(error); nothing written (use a scale that keeps the inputs apart)")
        }
        return tasks
    }

    func family(named name: SyntheticFamilyName) throws -> TaskFamily {
        if let data, name != .classification {
            throw ValidationError("--data \(data) is read only by --family classification, not by --family \(name.rawValue)")
        }
        if name == .linearRep, rank > (dim ?? 8) {
            throw ValidationError("--rank \(rank) exceeds --dim \(dim ?? 8): the shared B ∈ ℝ^{r×d} has rank at most d")
        }
        switch name {
        case .sinusoid:
            if let dim, dim != 2 { throw ValidationError("--dim: sinusoid inputs are 2-dimensional (the unit circle), got \(dim)") }
            return .sinusoid(outputs: outputs, inputScale: xScale)
        case .teacher:
            return .teacher(dimension: dim ?? 8, outputs: outputs, features: features)
        case .linearRep:
            return .linearRepresentation(dimension: dim ?? 8, rank: rank, outputs: outputs, noise: noise)
        case .classification:
            guard let data else { throw ValidationError("--family classification needs --data file.csv") }
            return .classification(try LabelledData(csvFile: data), ways: ways, testClassFraction: testClassFraction)
        }
    }
}
