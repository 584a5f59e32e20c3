/// The `FewShot` module implements theory.md §2 and §3: few-shot tasks and task files, seeded
/// task families, the adaptation operator T of the inner loop, and the training function h of
/// the outer loop.
import LinearAlgebra

/// A few-shot task (theory.md §2): a support set (X', Y') of n' points and a query set (X, Y)
/// of n points. Inputs are rows of d numbers, labels rows of k numbers. A test task's query
/// labels may be absent (they are held out for scoring).
public struct FewShotTask: Sendable, Equatable {
    public let supportInputs: Matrix
    public let supportLabels: Matrix
    public let queryInputs: Matrix
    public let queryLabels: Matrix?

    public init(supportInputs: Matrix, supportLabels: Matrix, queryInputs: Matrix, queryLabels: Matrix?) {
        self.supportInputs = supportInputs
        self.supportLabels = supportLabels
        self.queryInputs = queryInputs
        self.queryLabels = queryLabels
    }

    public var supportCount: Int { supportInputs.rows }
    public var queryCount: Int { queryInputs.rows }
}

/// Training tasks i = 1…N and test tasks, validated to fit together: every task has a
/// non-empty support and query set, inputs of one dimension d, labels of one width k, as many
/// labels as inputs, finite numbers, and every training task has query labels.
public struct TaskSet: Sendable, Equatable {
    public let train: [FewShotTask]
    public let test: [FewShotTask]
    public let inputDimension: Int
    public let labelWidth: Int

    public init(train: [FewShotTask], test: [FewShotTask]) throws(TaskSetError) {
        guard let first = train.first else { throw TaskSetError(path: "train", message: "holds no tasks") }
        let d = first.supportInputs.columns, k = first.supportLabels.columns
        for (name, tasks) in [("train", train), ("test", test)] {
            for (i, task) in tasks.enumerated() {
                try TaskSet.validate(task, path: "\(name)[\(i)]", dimension: d, labelWidth: k, needsQueryLabels: name == "train")
            }
        }
        self.train = train
        self.test = test
        inputDimension = d
        labelWidth = k
    }

    private static func validate(_ task: FewShotTask, path: String, dimension d: Int, labelWidth k: Int,
                                 needsQueryLabels: Bool) throws(TaskSetError) {
        let sets: [(String, Matrix, Matrix?)] = [("support", task.supportInputs, task.supportLabels),
                                                 ("query", task.queryInputs, task.queryLabels)]
        for (name, x, y) in sets {
            guard x.rows > 0 else { throw TaskSetError(path: "\(path).\(name).x", message: "has no points") }
            guard x.columns == d else {
                throw TaskSetError(path: "\(path).\(name).x",
                                   message: "has inputs of dimension \(x.columns), but train[0] has dimension \(d)")
            }
            try requireFinite(x, path: "\(path).\(name).x")
            guard let y else {
                if needsQueryLabels { throw TaskSetError(path: "\(path).\(name)", message: "has no labels 'y' (a training task needs them)") }
                continue
            }
            guard y.rows == x.rows else {
                throw TaskSetError(path: "\(path).\(name).y", message: "has \(y.rows) label rows for \(x.rows) inputs")
            }
            guard y.columns == k else {
                throw TaskSetError(path: "\(path).\(name).y",
                                   message: "has labels of width \(y.columns), but train[0] has width \(k)")
            }
            try requireFinite(y, path: "\(path).\(name).y")
        }
    }

    private static func requireFinite(_ m: Matrix, path: String) throws(TaskSetError) {
        if let (row, column) = m.firstNonFinite() {
            throw TaskSetError(path: "\(path)[\(row)][\(column)]", message: "is not finite")
        }
    }

    /// Σ_i n_i, the number of training query points.
    public var trainingQueryCount: Int { train.reduce(0) { $0 + $1.queryCount } }
}

/// A task set that does not fit together, with the path of the offending part
/// (`train[3].support.y`).
public struct TaskSetError: Error, Equatable, CustomStringConvertible {
    public let path: String
    public let message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path) \(message)" }
}
