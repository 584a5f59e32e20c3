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

    public init(step: Int, outerLoss: Double, seconds: Double, testLoss: Double?) {
        (self.step, self.outerLoss, self.seconds, self.testLoss) = (step, outerLoss, seconds, testLoss)
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
        let count = max(0, steps ?? (scheduledSteps - stepsTaken))
        var log = TrainingLog()
        var seconds = 0.0
        for _ in 0..<count where seconds < maxSeconds {
            let test = testLossEvery > 0 && stepsTaken % testLossEvery == 0 ? try testLoss() : nil
            let start = DispatchTime.now().uptimeNanoseconds
            let loss = try step()
            let entry = TrainingLogEntry(step: stepsTaken - 1, outerLoss: loss, seconds: seconds, testLoss: test)
            seconds += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            log.append(entry)
            report(entry)
        }
        let final = TrainingLogEntry(step: stepsTaken, outerLoss: try outerLoss(), seconds: seconds,
                                     testLoss: testLossEvery > 0 ? try testLoss() : nil)
        log.append(final)
        report(final)
        return log
    }
}
