import ArgumentParser
import FewShot
import Reports

/// Where a study's tasks come from (`closeness`, `convergence`, `cost`): a task file
/// (`--tasks T.json`), or a task family drawn from a seed (`--family` with the family flags of
/// `ntkbridge tasks` and the sizes `--train-tasks`, `--test-tasks`, `--support`, `--query`).
struct TaskSourceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Draw the tasks from this family (instead of --tasks).", valueName: "family"))
    var family: SyntheticFamilyName?

    @Option(help: ArgumentHelp("The task file (instead of --family).", valueName: "T.json"))
    var tasks: String?

    @OptionGroup var familyOptions: TaskFamilyOptions

    @Option(name: .customLong("train-tasks"), parsing: .unconditional,
            help: ArgumentHelp("N training tasks drawn (with --family).", valueName: "N"))
    var trainTasks = 20

    @Option(name: .customLong("test-tasks"), parsing: .unconditional,
            help: ArgumentHelp("M test tasks drawn (with --family).", valueName: "M"))
    var testTasks = 10

    @Option(parsing: .unconditional, help: ArgumentHelp("n' support points per drawn task.", valueName: "n'"))
    var support = 10

    @Option(parsing: .unconditional, help: ArgumentHelp("n query points per drawn task.", valueName: "n"))
    var query = 10

    func validate() throws {
        try FlagBounds.require(trainTasks, atLeast: 1, "--train-tasks")
        try FlagBounds.require(testTasks, atLeast: 1, "--test-tasks")
        try FlagBounds.require(support, atLeast: 1, "--support")
        try FlagBounds.require(query, atLeast: 1, "--query")
    }

    /// Refuses both or neither of `--family` and `--tasks`; `drawnPer` says what a draw is for.
    func requireOneSource(drawnPer: String) throws {
        guard (family == nil) != (tasks == nil) else {
            throw ValidationError("give exactly one of --family F (a task set drawn \(drawnPer)) and --tasks T.json (a task file)")
        }
    }

    /// The task file's tasks, or nil with `--family`.
    func fileTasks() throws -> TaskSet? { try tasks.map { try TaskSet(taskFile: $0) } }

    /// The family of `--family`, or nil with `--tasks`.
    func taskFamily() throws -> TaskFamily? { try family.map { try familyOptions.family(named: $0) } }

    /// The task set drawn from `family` with `seed` (as `ntkbridge tasks` would draw it).
    func draw(_ family: TaskFamily, seed: UInt64) throws -> TaskSet {
        try familyOptions.draw(family, trainTasks: trainTasks, testTasks: testTasks, support: support, query: query, seed: seed)
    }

    /// The tasks: the task file, or one set drawn from the family with `seed`.
    func taskSet(seed: UInt64) throws -> TaskSet {
        if let file = try fileTasks() { return file }
        return try draw(taskFamily()!, seed: seed)
    }

    /// The source as the messages name it.
    var flagText: String { tasks.map { "--tasks \($0)" } ?? "--family \(family?.rawValue ?? "-")" }

    /// The files read, for the output-collision guard.
    var inputFiles: [(String, String)] {
        (familyOptions.data.map { [("--data", $0)] } ?? []) + (tasks.map { [("--tasks", $0)] } ?? [])
    }

    /// The task sizes, for the oversize guard's flag names.
    var sizeFlags: [SizeParameter: String] { tasks == nil ? RunGuards.taskFlags : RunGuards.taskFileFlags }

    /// Everything about the tasks that decides a study's results, for resuming it: the task
    /// file's content, or the family and its flags.
    func configuration() throws -> [String] {
        let f = familyOptions
        return (try tasks.map { ["tasks-content=\(try ContentHash.of(file: $0))"] } ?? [])
            + ["family=\(family?.rawValue ?? "-")", "dim=\(f.dim.map(String.init) ?? "-")", "outputs=\(f.outputs)",
               "features=\(f.features)", "rank=\(f.rank)", "noise=\(f.noise)", "x-scale=\(f.xScale)",
               "data=\(f.data.map { (try? ContentHash.of(file: $0)) ?? $0 } ?? "-")", "ways=\(f.ways)",
               "test-class-fraction=\(f.testClassFraction)", "train-tasks=\(trainTasks)", "test-tasks=\(testTasks)",
               "support=\(support)", "query=\(query)"]
    }
}
