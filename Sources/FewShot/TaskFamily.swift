import Foundation
import LinearAlgebra

/// Seeded families of regression and classification tasks. A task set is reproducible from the
/// family, its settings, the sizes and the seed alone: the shared structure (a teacher's feature
/// map, a shared representation) comes from stream 0 of the seed, training task i from stream
/// 1 + i and test task j from stream 1 000 001 + j, so task i never depends on how many tasks
/// are drawn.
public enum TaskFamily: Sendable {
    /// The MAML regression benchmark: y = A·sin(x − φ), A ~ U[0.1, 5], φ ~ U[0, π],
    /// x ~ U[−5, 5], the input lifted onto the unit circle as (x/s, 1)/‖(x/s, 1)‖; each of the
    /// k output columns has its own (A, φ).
    case sinusoid(outputs: Int, inputScale: Double)
    /// A shared random ReLU teacher ψ(x) = √(2/m)·relu(Wx), W ∈ ℝ^{m×d} with N(0, 1) entries,
    /// task heads a_i ~ N(0, I) (m × k), y = ψ(x)ᵀa_i, inputs uniform on the sphere S^{d−1}.
    case teacher(dimension: Int, outputs: Int, features: Int)
    /// y = a_iᵀ·B·x + noise with a shared B ∈ ℝ^{r×d} (N(0, 1/d) entries, rank r), a_i ~ N(0, I)
    /// (r × k), x ~ N(0, I_d), label noise N(0, noise²).
    case linearRepresentation(dimension: Int, rank: Int, outputs: Int, noise: Double)
    /// C-way tasks drawn from a labelled data set with one-hot targets; support and query sizes
    /// are per class (C-way K-shot). The classes are split once (by the seed) into training and
    /// test classes, so test tasks use classes never seen in training.
    case classification(LabelledData, ways: Int, testClassFraction: Double)

    /// Draws `trainTasks` training and `testTasks` test tasks with `support` support and `query`
    /// query points each (per class for classification); test tasks keep their query labels for
    /// scoring.
    public func tasks(trainTasks: Int, testTasks: Int, support: Int, query: Int, seed: UInt64) throws -> TaskSet {
        guard trainTasks >= 1 else { throw TaskFamilyError.invalid(parameter: .trainTasks, message: "must be at least 1") }
        guard testTasks >= 0 else { throw TaskFamilyError.invalid(parameter: .testTasks, message: "must not be negative") }
        guard support >= 1 else { throw TaskFamilyError.invalid(parameter: .support, message: "must be at least 1") }
        guard query >= 1 else { throw TaskFamilyError.invalid(parameter: .query, message: "must be at least 1") }
        let draw = try sampler(seed: seed, support: support, query: query)
        let train = (0..<trainTasks).map { i -> FewShotTask in
            var generator = SeededGenerator(seed: seed, stream: 1 + UInt64(i))
            return draw(&generator, support, query, false)
        }
        let test = (0..<testTasks).map { j -> FewShotTask in
            var generator = SeededGenerator(seed: seed, stream: 1_000_001 + UInt64(j))
            return draw(&generator, support, query, true)
        }
        return try TaskSet(train: train, test: test)
    }

    /// Draws one task from a generator: (generator, support, query, isTest) → task.
    typealias TaskSampler = (inout SeededGenerator, Int, Int, Bool) -> FewShotTask

    private func sampler(seed: UInt64, support: Int, query: Int) throws -> TaskSampler {
        var shared = SeededGenerator(seed: seed, stream: 0)
        switch self {
        case let .sinusoid(outputs, scale):
            try requirePositive(outputs, .outputs)
            guard scale > 0, scale.isFinite else { throw TaskFamilyError.invalid(parameter: .inputScale, message: "must be positive") }
            return { g, n1, n2, _ in SinusoidTasks.draw(&g, support: n1, query: n2, outputs: outputs, inputScale: scale) }
        case let .teacher(d, outputs, m):
            try requirePositive(d, .dimension); try requirePositive(outputs, .outputs); try requirePositive(m, .features)
            let weights = Matrix.randomNormal(rows: m, columns: d, using: &shared)
            return { g, n1, n2, _ in TeacherTasks.draw(&g, weights: weights, support: n1, query: n2, outputs: outputs) }
        case let .linearRepresentation(d, r, outputs, noise):
            try requirePositive(d, .dimension); try requirePositive(r, .rank); try requirePositive(outputs, .outputs)
            guard noise >= 0, noise.isFinite else { throw TaskFamilyError.invalid(parameter: .noise, message: "must be ≥ 0") }
            let representation = Matrix.randomNormal(rows: r, columns: d, standardDeviation: 1 / Double(d).squareRoot(),
                                                     using: &shared)
            return { g, n1, n2, _ in
                LinearRepresentationTasks.draw(&g, representation: representation, support: n1, query: n2,
                                               outputs: outputs, noise: noise)
            }
        case let .classification(data, ways, fraction):
            let split = try data.splitClasses(ways: ways, testFraction: fraction, pointsPerClass: support + query,
                                              using: &shared)
            return { g, n1, n2, isTest in
                data.drawTask(&g, classes: isTest ? split.test : split.train, ways: ways, supportPerClass: n1, queryPerClass: n2)
            }
        }
    }

    private func requirePositive(_ value: Int, _ parameter: TaskParameter) throws {
        guard value >= 1 else { throw TaskFamilyError.invalid(parameter: parameter, message: "must be at least 1, got \(value)") }
    }
}

/// A task family setting that cannot be used.
public enum TaskFamilyError: Error, Equatable, CustomStringConvertible {
    /// A parameter of the family or of the draw out of its range.
    case invalid(parameter: TaskParameter, message: String)
    /// The data behind a family (a labelled CSV) cannot give the tasks.
    case data(file: String, message: String)
    /// Fewer than `ways` training or test classes have `pointsPerClass` points after the split.
    case tooFewClasses(file: String, usable: Int, total: Int, pointsPerClass: Int, ways: Int, testFraction: Double)

    /// The message, naming each parameter with `name` (a command names it by its flag).
    public func description(naming name: (TaskParameter) -> String) -> String {
        switch self {
        case let .invalid(parameter, message): return "\(name(parameter)) \(message)"
        case let .data(file, message): return "\(file): \(message)"
        case let .tooFewClasses(file, usable, total, pointsPerClass, ways, testFraction):
            return "\(file): \(usable) of its \(total) classes have at least \(pointsPerClass) points (support + query per "
                + "class); \(ways)-way tasks need \(ways) training and \(ways) test classes after the split "
                + "(\(name(.testClassFraction)) \(testFraction))"
        }
    }

    public var description: String { description(naming: \.name) }
}

/// A parameter of a task family or of a draw from it.
public enum TaskParameter: String, Sendable, CaseIterable {
    case trainTasks, testTasks, support, query, outputs, inputScale, dimension, features, rank, noise, ways
    case testClassFraction

    /// The symbol and a few words, as a library message shows it.
    public var name: String {
        switch self {
        case .trainTasks: return "the number of training tasks N"
        case .testTasks: return "the number of test tasks M"
        case .support: return "the support size n'"
        case .query: return "the query size n"
        case .outputs: return "the number of outputs k"
        case .inputScale: return "the sinusoid's input scale s"
        case .dimension: return "the input dimension d"
        case .features: return "the teacher's number of features m"
        case .rank: return "the rank r of the shared representation"
        case .noise: return "the label noise σ"
        case .ways: return "the number of classes per task C"
        case .testClassFraction: return "the share of classes kept for test tasks"
        }
    }
}

/// Points uniform on the unit sphere S^{d−1}: normalized Gaussian vectors.
func uniformOnSphere(count: Int, dimension d: Int, using g: inout SeededGenerator) -> Matrix {
    Matrix.randomNormal(rows: count, columns: d, using: &g).normalizingRows()
}

enum SinusoidTasks {
    static func draw(_ g: inout SeededGenerator, support: Int, query: Int, outputs: Int, inputScale s: Double) -> FewShotTask {
        let waves = (0..<outputs).map { _ in (amplitude: g.uniform(0.1, 5), phase: g.uniform(0, Double.pi)) }
        func points(_ n: Int) -> (Matrix, Matrix) {
            let raw = (0..<n).map { _ in g.uniform(-5, 5) }
            let inputs = Matrix(rowArrays: raw.map { x in
                let norm = ((x / s) * (x / s) + 1).squareRoot()
                return [x / s / norm, 1 / norm]
            })
            let labels = Matrix(rowArrays: raw.map { x in waves.map { $0.amplitude * sin(x - $0.phase) } })
            return (inputs, labels)
        }
        let (xs, ys) = points(support), (xq, yq) = points(query)
        return FewShotTask(supportInputs: xs, supportLabels: ys, queryInputs: xq, queryLabels: yq)
    }
}

enum TeacherTasks {
    static func draw(_ g: inout SeededGenerator, weights: Matrix, support: Int, query: Int, outputs: Int) -> FewShotTask {
        let m = weights.rows
        let head = Matrix.randomNormal(rows: m, columns: outputs, using: &g)
        func points(_ n: Int) -> (Matrix, Matrix) {
            let inputs = uniformOnSphere(count: n, dimension: weights.columns, using: &g)
            let features = Matrix.product(inputs, weights, transposeB: true, alpha: (2 / Double(m)).squareRoot()).map { max($0, 0) }
            return (inputs, Matrix.product(features, head))
        }
        let (xs, ys) = points(support), (xq, yq) = points(query)
        return FewShotTask(supportInputs: xs, supportLabels: ys, queryInputs: xq, queryLabels: yq)
    }
}

enum LinearRepresentationTasks {
    static func draw(_ g: inout SeededGenerator, representation: Matrix, support: Int, query: Int, outputs: Int,
                     noise: Double) -> FewShotTask {
        let head = Matrix.randomNormal(rows: representation.rows, columns: outputs, using: &g)
        func points(_ n: Int) -> (Matrix, Matrix) {
            let inputs = Matrix.randomNormal(rows: n, columns: representation.columns, using: &g)
            let clean = Matrix.product(Matrix.product(inputs, representation, transposeB: true), head)
            return (inputs, clean + Matrix.randomNormal(rows: n, columns: outputs, standardDeviation: noise, using: &g))
        }
        let (xs, ys) = points(support), (xq, yq) = points(query)
        return FewShotTask(supportInputs: xs, supportLabels: ys, queryInputs: xq, queryLabels: yq)
    }
}
