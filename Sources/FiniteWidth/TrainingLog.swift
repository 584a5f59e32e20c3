import Foundation

/// One point of a training run: the state after `step` outer steps.
public struct TrainingLogEntry: Sendable, Equatable {
    /// s, the outer steps taken (0: at initialisation).
    public let step: Int
    /// The outer (training) loss at θ_s.
    public let outerLoss: Double
    /// The wall-clock seconds that this run's steps up to θ_s took (evaluations of the test loss
    /// excluded; a run starts at 0 when `train` is called).
    public let seconds: Double
    /// The test loss at θ_s, where it was asked for and the test tasks have query labels.
    public let testLoss: Double?
    /// The process CPU seconds (all threads, BLAS's included) of the same steps as `seconds`.
    public let cpuSeconds: Double
    /// The values of a caller's evaluation at θ_s, where it was asked for (empty otherwise):
    /// `train(steps:evaluateEvery:maxSeconds:evaluation:report:)`.
    public let evaluations: [Double]

    public init(step: Int, outerLoss: Double, seconds: Double, testLoss: Double?, cpuSeconds: Double = 0,
                evaluations: [Double] = []) {
        (self.step, self.outerLoss, self.seconds, self.testLoss) = (step, outerLoss, seconds, testLoss)
        (self.cpuSeconds, self.evaluations) = (cpuSeconds, evaluations)
    }
}

/// The record of a training run, for a loss curve or a "time to reach a given test loss"
/// comparison between learners.
public struct TrainingLog: Sendable, Equatable {
    public private(set) var entries: [TrainingLogEntry] = []

    public init() {}

    /// A log read back from a table (a shard's curves, for `ntkbridge merge`).
    public init(entries: [TrainingLogEntry]) { self.entries = entries }

    mutating func append(_ entry: TrainingLogEntry) { entries.append(entry) }

    /// The first entry whose test loss is at most `target`, if any (its `seconds` and `step` are
    /// the time and the steps needed to reach it).
    public func firstReaching(testLoss target: Double) -> TrainingLogEntry? {
        entries.first { ($0.testLoss ?? .infinity) <= target }
    }
}

extension FiniteLearner {
    /// Takes `steps` outer steps (default: what remains of the schedule's S), or fewer once the
    /// training time reaches `maxSeconds`, and logs the outer loss at θ_s for s = stepsTaken, …,
    /// the training time, and the test loss at every s divisible by `testLossEvery` and at the
    /// end (0: never). Each log entry is also handed to `report` as soon as it exists. The outer
    /// loss comes free with each step's gradient; only the final one costs an extra evaluation.
    @discardableResult
    public mutating func train(steps: Int? = nil, testLossEvery: Int = 0, maxSeconds: Double = .infinity,
                               report: (TrainingLogEntry) -> Void = { _ in }) throws -> TrainingLog {
        try train(steps: steps, evaluateEvery: testLossEvery, maxSeconds: maxSeconds,
                  evaluation: { learner in try learner.testLoss().map { [$0] } ?? [] }, report: report)
    }

    /// `train` with the caller's own evaluation at every s divisible by `evaluateEvery` and at
    /// the end: its values go to each entry's `evaluations` (and the first, if any, to
    /// `testLoss`). Evaluations are excluded from `seconds` and `cpuSeconds`. `maxSeconds`
    /// bounds the wall time of training, or its process CPU time when `cpuBudget` (steadier
    /// on a shared machine).
    @discardableResult
    public mutating func train(steps: Int? = nil, evaluateEvery: Int, maxSeconds: Double = .infinity,
                               cpuBudget: Bool = false, evaluation: (Self) throws -> [Double],
                               report: (TrainingLogEntry) -> Void = { _ in }) throws -> TrainingLog {
        let count = max(0, steps ?? (scheduledSteps - stepsTaken))
        var log = TrainingLog()
        var (seconds, cpuSeconds) = (0.0, 0.0)
        for _ in 0..<count where (cpuBudget ? cpuSeconds : seconds) < maxSeconds {
            let values = evaluateEvery > 0 && stepsTaken % evaluateEvery == 0 ? try evaluation(self) : []
            let (start, startCPU) = (DispatchTime.now().uptimeNanoseconds, processCPUSeconds())
            let loss = try step()
            let entry = TrainingLogEntry(step: stepsTaken - 1, outerLoss: loss, seconds: seconds, testLoss: values.first,
                                         cpuSeconds: cpuSeconds, evaluations: values)
            seconds += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            cpuSeconds += processCPUSeconds() - startCPU
            log.append(entry)
            report(entry)
        }
        let values = evaluateEvery > 0 ? try evaluation(self) : []
        let final = TrainingLogEntry(step: stepsTaken, outerLoss: try outerLoss(), seconds: seconds, testLoss: values.first,
                                     cpuSeconds: cpuSeconds, evaluations: values)
        log.append(final)
        report(final)
        return log
    }
}

/// The CPU time of the whole process so far (every thread, user and system), in seconds.
public func processCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
