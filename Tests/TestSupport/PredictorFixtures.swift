import FewShot
import Foundation
import LinearAlgebra

extension Fixtures {
    public static func predictorCases() throws -> [PredictorCase] {
        try files(in: "predictors").map { try JSONDecoder().decode(PredictorCase.self, from: Data(contentsOf: $0)) }
    }
}

/// One predictor reference case (Tests/Fixtures/README.md): a task file, a configuration, and the
/// ANIL, MAML and MTL predictions of an independent float64 implementation of theory.md.
public struct PredictorCase: Decodable, Sendable {
    public struct LabelledSet: Decodable, Sendable {
        public let x: [[Double]]
        public let y: [[Double]]?
    }
    public struct Task: Decodable, Sendable {
        public let support: LabelledSet
        public let query: LabelledSet
    }
    public struct Tasks: Decodable, Sendable {
        public let train: [Task]
        public let test: [Task]
    }
    public struct Inner: Decodable, Sendable {
        public let kind: String
        public let rate: Double
        public let steps: Double
        public let ridge: Double?
    }
    public struct TestInner: Decodable, Sendable {
        public let rate: Double
        public let steps: Double
    }
    /// "inf", {"t": t} or {"eta": η, "steps": S}.
    public enum Meta: Decodable, Sendable {
        case infinite
        case time(Double)
        case steps(rate: Double, count: Int)

        private enum Keys: String, CodingKey { case t, eta, steps }

        public init(from decoder: Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self), text == "inf" {
                self = .infinite
                return
            }
            let container = try decoder.container(keyedBy: Keys.self)
            if let t = try container.decodeIfPresent(Double.self, forKey: .t) {
                self = .time(t)
            } else {
                self = .steps(rate: try container.decode(Double.self, forKey: .eta),
                              count: try container.decode(Int.self, forKey: .steps))
            }
        }
    }
    public struct MTL: Decodable, Sendable {
        public let data: String
        public let rho: Double
        public let new_head: String
    }
    public struct Config: Decodable, Sendable {
        public let architecture: KernelCase.Config
        public let inner: Inner
        public let test_inner: TestInner?
        public let meta: Meta
        public let diag_reg: Double
        public let mtl: MTL
    }
    public struct Run: Decodable, Sendable {
        public struct Expected: Decodable, Sendable { public let predictions: [[[Double]]] }
        public let method: String
        public let cli_args: [String]
        public let tolerance: Double
        public let expected: Expected
    }
    public struct Summary: Decodable, Sendable {
        public let mean: Double
        public let std: Double
        public let median: Double
    }
    public struct Distances: Decodable, Sendable {
        public let relative: [Double]
        public let rms: [Double]
        public let relative_summary: Summary
        public let rms_summary: Summary
    }

    public let name: String
    public let description: String
    public let tasks: Tasks
    public let config: Config
    public let runs: [Run]
    public let distances: [String: Distances]

    /// The task set of the case.
    public func taskSet() throws -> TaskSet {
        func task(_ t: Task) -> FewShotTask {
            FewShotTask(supportInputs: Matrix(rowArrays: t.support.x), supportLabels: Matrix(rowArrays: t.support.y!),
                        queryInputs: Matrix(rowArrays: t.query.x), queryLabels: t.query.y.map(Matrix.init(rowArrays:)))
        }
        return try TaskSet(train: tasks.train.map(task), test: tasks.test.map(task))
    }

    /// The expected predictions of `method`, one matrix per test task.
    public func expectedPredictions(_ method: String) -> [Matrix] {
        runs.first { $0.method == method }!.expected.predictions.map(Matrix.init(rowArrays:))
    }
}

/// max |a − e| / max |e| over all test tasks: the error measure of the predictor references.
public func maxRelativeError(_ actual: [Matrix], _ expected: [Matrix]) -> Double {
    var worst = 0.0, scale = 0.0
    for (a, e) in zip(actual, expected) {
        worst = max(worst, (a - e).maxAbs)
        scale = max(scale, e.maxAbs)
    }
    return scale > 0 ? worst / scale : worst
}
