import FewShot
import FiniteWidth
import InfiniteWidth
import LinearAlgebra

/// The cost protocol (the paper's practical claim: MTL trains for a fraction of GBML's cost).
///
/// - The last `validationTasks` training tasks of the file are held out: no method trains on
///   them. Their loss after test-time adaptation, Σ ½‖F − Y‖² on their query points, is the
///   validation loss whose target every method's time is measured against; the file's test
///   tasks are reported beside it but never chosen on.
/// - Every method is evaluated with the same test-time adaptation — τ̂ steps of rate λ̂ on the
///   head alone (MTL's new head, ANIL's head, and the head of a MAML- or FOMAML-trained network)
///   — and, beside it, with its own (MAML and FOMAML adapt all parameters).
/// - Each method is trained from the same initialisations (one per seed, ≥ 5 repeats advised)
///   for at most S steps or a time budget; evaluations are excluded from the timed training.
/// - Wall time, process CPU time and the pass count (`FiniteSettings.pointPassesPerStep`) of
///   each step are recorded, so a time ratio can be read against a work ratio.
public struct CostStudy: Sendable {
    /// One evaluation point of a run.
    public struct Evaluation: Sendable, Equatable {
        public let step: Int
        public let seconds: Double
        public let cpuSeconds: Double
        public let outerLoss: Double
        /// Validation loss after head-only test-time adaptation (the common protocol).
        public let validationLoss: Double
        /// Validation loss after the method's own test-time adaptation.
        public let validationLossOwn: Double
        /// Test loss of the file's test tasks (head-only, own), if they have query labels.
        public let testLoss: Double?
        public let testLossOwn: Double?
        /// Classification accuracy on the validation query points (the fraction whose argmax
        /// output is the argmax of the label, `ClassificationScores`), after head-only and own
        /// adaptation; NaN when not recorded.
        public let validationAccuracy: Double
        public let validationAccuracyOwn: Double
        /// The same on the file's test tasks, if they have query labels.
        public let testAccuracy: Double?
        public let testAccuracyOwn: Double?

        public init(step: Int, seconds: Double, cpuSeconds: Double, outerLoss: Double, validationLoss: Double,
                    validationLossOwn: Double, testLoss: Double?, testLossOwn: Double?, validationAccuracy: Double = .nan,
                    validationAccuracyOwn: Double = .nan, testAccuracy: Double? = nil, testAccuracyOwn: Double? = nil) {
            (self.step, self.seconds, self.cpuSeconds, self.outerLoss) = (step, seconds, cpuSeconds, outerLoss)
            (self.validationLoss, self.validationLossOwn) = (validationLoss, validationLossOwn)
            (self.testLoss, self.testLossOwn) = (testLoss, testLossOwn)
            (self.validationAccuracy, self.validationAccuracyOwn) = (validationAccuracy, validationAccuracyOwn)
            (self.testAccuracy, self.testAccuracyOwn) = (testAccuracy, testAccuracyOwn)
        }
    }

    /// One method trained from one seed.
    public struct Run: Sendable {
        public let method: FiniteMethod
        public let seed: UInt64
        /// η, the outer rate it was trained with.
        public let outerRate: Double
        public let evaluations: [Evaluation]
        public let steps: Int
        public let seconds: Double
        public let cpuSeconds: Double
        /// Single-point forward-and-backward passes per outer step, and FLOPs per outer step.
        public let pointPassesPerStep: Double
        public let flopsPerStep: Double

        public init(method: FiniteMethod, seed: UInt64, outerRate: Double, evaluations: [Evaluation], steps: Int,
                    seconds: Double, cpuSeconds: Double, pointPassesPerStep: Double, flopsPerStep: Double) {
            (self.method, self.seed, self.outerRate, self.evaluations) = (method, seed, outerRate, evaluations)
            (self.steps, self.seconds, self.cpuSeconds) = (steps, seconds, cpuSeconds)
            (self.pointPassesPerStep, self.flopsPerStep) = (pointPassesPerStep, flopsPerStep)
        }

        public var secondsPerStep: Double { seconds / Double(max(steps, 1)) }
        public var cpuSecondsPerStep: Double { cpuSeconds / Double(max(steps, 1)) }
        public var bestValidationLoss: Double { evaluations.map(\.validationLoss).min() ?? .nan }
        public var initialValidationLoss: Double { evaluations.first?.validationLoss ?? .nan }

        /// The first evaluation whose validation loss is at most `target`.
        public func firstReaching(_ target: Double) -> Evaluation? {
            evaluations.first { $0.validationLoss <= target }
        }
    }

    /// The training tasks, the validation tasks (as test tasks, first) and the file's test tasks
    /// (after them): what every learner is built on.
    public let tasks: TaskSet
    public let validationCount: Int
    public let settings: FiniteSettings
    public let architecture: Architecture
    public let width: Int
    /// Each method's outer rate as a fraction of its own stability bound 2/λ_max (nil: the
    /// settings' own rate).
    public let outerRateFraction: Double?
    /// Training stops after this many seconds of training time (or the settings' S steps).
    public let timeBudget: Double
    /// Evaluate every k steps (and at the end).
    public let evaluateEvery: Int
    /// True when `timeBudget` counts process CPU seconds rather than wall seconds.
    public let cpuBudget: Bool

    /// Holds out the last `validationTasks` training tasks of `file`; refuses a split that
    /// leaves no training task, or validation tasks without query labels.
    public init(file: TaskSet, validationTasks: Int, settings: FiniteSettings, architecture: Architecture, width: Int,
                outerRateFraction: Double?, timeBudget: Double, evaluateEvery: Int, cpuBudget: Bool = false) throws {
        let n = file.train.count
        guard validationTasks >= 1, validationTasks < n else {
            throw CostStudyError.validationSplit(validationTasks: validationTasks, trainingTasks: n)
        }
        let training = Array(file.train[..<(n - validationTasks)]), validation = Array(file.train[(n - validationTasks)...])
        tasks = try TaskSet(train: training, test: validation + file.test)
        validationCount = validationTasks
        (self.settings, self.architecture, self.width) = (settings, architecture, width)
        (self.outerRateFraction, self.timeBudget, self.evaluateEvery) = (outerRateFraction, timeBudget, evaluateEvery)
        self.cpuBudget = cpuBudget
    }

    /// The test tasks of the file have query labels (a test loss is reported).
    var hasTestLabels: Bool {
        tasks.test.count > validationCount && tasks.test[validationCount...].allSatisfy { $0.queryLabels != nil }
    }

    /// Trains `method` from `seed`; `progress` gets each log entry as it comes.
    public func run(_ method: FiniteMethod, seed: UInt64, progress: (TrainingLogEntry) -> Void = { _ in }) throws -> Run {
        var chosen = settings
        if let fraction = outerRateFraction {
            let bound = try settings.stableOuterRate(method, tasks: tasks, architecture: architecture, width: width, seed: seed)
            chosen = settings.withOuterRate(fraction * bound)
        }
        guard case let .gradientDescent(rate, _) = chosen.training else { throw CostStudyError.notGradientDescent }
        var learner = try chosen.learner(method, tasks: tasks, architecture: architecture, width: width, seed: seed)
        let labels = tasks.test.map(\.queryLabels)
        let (v, hasTest) = (validationCount, hasTestLabels)
        let log = try learner.train(evaluateEvery: evaluateEvery, maxSeconds: timeBudget, cpuBudget: cpuBudget,
                                    evaluation: { learner in
            let head = try Self.predictions(learner, headOnly: true)
            let own = try Self.predictions(learner, headOnly: false)
            func loss(_ f: [Matrix], _ range: Range<Int>) -> Double {
                range.reduce(0) { $0 + Self.halfSquaredNorm(f[$1] - labels[$1]!) }
            }
            func accuracy(_ f: [Matrix], _ range: Range<Int>) -> Double { Self.accuracy(Array(f[range]), Array(labels[range])) }
            let test = v..<labels.count
            // Losses first, then accuracies: [validation head, own, (test head, own)] each.
            return [loss(head, 0..<v), loss(own, 0..<v)] + (hasTest ? [loss(head, test), loss(own, test)] : [])
                + [accuracy(head, 0..<v), accuracy(own, 0..<v)] + (hasTest ? [accuracy(head, test), accuracy(own, test)] : [])
        }, report: progress)
        let a = hasTest ? 4 : 2   // where the accuracies start
        let evaluations = log.entries.filter { !$0.evaluations.isEmpty }.map { e in
            Evaluation(step: e.step, seconds: e.seconds, cpuSeconds: e.cpuSeconds, outerLoss: e.outerLoss,
                       validationLoss: e.evaluations[0], validationLossOwn: e.evaluations[1],
                       testLoss: hasTest ? e.evaluations[2] : nil, testLossOwn: hasTest ? e.evaluations[3] : nil,
                       validationAccuracy: e.evaluations[a], validationAccuracyOwn: e.evaluations[a + 1],
                       testAccuracy: hasTest ? e.evaluations[a + 2] : nil, testAccuracyOwn: hasTest ? e.evaluations[a + 3] : nil)
        }
        let last = log.entries[log.entries.count - 1]
        let passes = chosen.pointPassesPerStep(method, tasks: tasks) ?? .nan
        let weights = try FiniteSettings.network(architecture, tasks: tasks, width: width, seed: seed).weightCount
        return Run(method: method, seed: seed, outerRate: rate, evaluations: evaluations, steps: last.step,
                   seconds: last.seconds, cpuSeconds: last.cpuSeconds, pointPassesPerStep: passes,
                   flopsPerStep: 6 * Double(weights) * passes)
    }

    /// Test predictions after head-only or the learner's own adaptation.
    static func predictions(_ learner: any FiniteLearner, headOnly: Bool) throws -> [Matrix] {
        if let gbml = learner as? FiniteGBML { return try gbml.predictions(headOnly: headOnly) }
        if let gbml = learner as? ConvolutionalGBML { return try gbml.predictions(headOnly: headOnly) }
        return try learner.predictions()   // MTL's own adaptation is its new head's
    }

    static func halfSquaredNorm(_ m: Matrix) -> Double { 0.5 * m.elements.reduce(0) { $0 + $1 * $1 } }

    /// The fraction of query points, over all the tasks, whose largest output is at the label's
    /// largest entry (the first index on a tie, as `ClassificationScores`): for one-hot labels,
    /// the classification accuracy.
    static func accuracy(_ predictions: [Matrix], _ labels: [Matrix?]) -> Double {
        var (correct, points) = (0, 0)
        for (f, y) in zip(predictions, labels) {
            guard let y else { continue }
            for i in 0..<y.rows where ClassificationScores.argmax(f.row(i)) == ClassificationScores.argmax(y.row(i)) { correct += 1 }
            points += y.rows
        }
        return points == 0 ? .nan : Double(correct) / Double(points)
    }
}

/// Why a cost study cannot run.
public enum CostStudyError: Error, CustomStringConvertible, Equatable {
    case validationSplit(validationTasks: Int, trainingTasks: Int)
    case notGradientDescent

    public var description: String {
        switch self {
        case let .validationSplit(v, n):
            return "the validation tasks (\(v)) must be at least 1 and fewer than the training tasks (\(n))"
        case .notGradientDescent:
            return "the outer loop must be gradient descent (an outer rate and a number of steps)"
        }
    }
}
