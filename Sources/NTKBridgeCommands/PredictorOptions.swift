import ArgumentParser
import FewShot
import Paradigms

/// The inner-loop flags (theory.md §3): the training inner loop, and the test-time adaptation
/// that defaults to it. For MTL they define the test-time head fine-tuning.
struct InnerLoopOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Inner solver: continuous (gradient flow), discrete (GD steps), ridge or exact.",
                               valueName: "solver"))
    var inner: InnerSolverName

    @Option(name: .customLong("inner-rate"), parsing: .unconditional, help: ArgumentHelp("λ, the inner rate (per sum loss).", valueName: "λ"))
    var innerRate: Double?

    @Option(name: .customLong("inner-steps"), parsing: .unconditional,
            help: ArgumentHelp("τ: time for continuous, a whole number of steps for discrete.", valueName: "τ"))
    var innerSteps: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("μ, the ridge penalty (--inner ridge).", valueName: "μ"))
    var ridge: Double?

    @Option(name: .customLong("test-inner-rate"), parsing: .unconditional,
            help: ArgumentHelp("λ̂ at test time (default: --inner-rate).", valueName: "λ̂"))
    var testInnerRate: Double?

    @Option(name: .customLong("test-inner-steps"), parsing: .unconditional,
            help: ArgumentHelp("τ̂ at test time (default: --inner-steps).", valueName: "τ̂"))
    var testInnerSteps: Double?

    /// Warns, for `command`, about flags the solver ignores.
    func warnIgnoredFlags(by command: String) {
        switch inner {
        case .ridge, .exact:
            let ignored = [("--inner-rate", innerRate != nil), ("--inner-steps", innerSteps != nil),
                           ("--test-inner-rate", testInnerRate != nil), ("--test-inner-steps", testInnerSteps != nil)]
                .filter(\.1).map(\.0)
            if !ignored.isEmpty {
                CommandWarning.print(command, "\(ignored.joined(separator: ", ")) ignored: --inner \(inner.rawValue) has no "
                                     + "rate or length")
            }
            if inner == .exact, ridge != nil { CommandWarning.print(command, "--ridge is ignored: it is the penalty of --inner ridge") }
        case .continuous, .discrete:
            if ridge != nil { CommandWarning.print(command, "--ridge is ignored: it is the penalty of --inner ridge") }
        }
    }

    /// The training solver and the test-time solver (same kind and μ, λ̂ and τ̂ overridable).
    func solvers() throws -> (training: InnerSolver, test: InnerSolver) {
        let training = try solver(rate: innerRate, steps: innerSteps, rateFlag: "--inner-rate", stepsFlag: "--inner-steps")
        let test = try solver(rate: testInnerRate ?? innerRate, steps: testInnerSteps ?? innerSteps,
                              rateFlag: testInnerRate == nil ? "--inner-rate" : "--test-inner-rate",
                              stepsFlag: testInnerSteps == nil ? "--inner-steps" : "--test-inner-steps")
        return (training, test)
    }

    /// The solver of kind `--inner` with a given λ and τ (a sweep replaces them).
    func solver(rate: Double?, steps: Double?, rateFlag: String = "--inner-rate", stepsFlag: String = "--inner-steps") throws -> InnerSolver {
        switch inner {
        case .continuous:
            let (λ, τ) = try rateAndSteps(rate, steps, rateFlag, stepsFlag)
            return .gradientFlow(rate: λ, time: τ)
        case .discrete:
            let (λ, τ) = try rateAndSteps(rate, steps, rateFlag, stepsFlag)
            guard τ == τ.rounded(), τ >= 1, τ <= Double(Int32.max) else {
                throw ValidationError("\(stepsFlag) must be a whole number of steps (≥ 1) for --inner discrete, got \(τ)")
            }
            return .gradientDescent(rate: λ, steps: Int(τ))
        case .ridge:
            guard let ridge else { throw ValidationError("--inner ridge needs --ridge μ (the penalty, > 0)") }
            guard ridge > 0, ridge.isFinite else { throw ValidationError("--ridge must be a finite number > 0, got \(ridge)") }
            return .ridge(penalty: ridge)
        case .exact:
            return .exact
        }
    }

    private func rateAndSteps(_ rate: Double?, _ steps: Double?, _ rateFlag: String, _ stepsFlag: String) throws -> (Double, Double) {
        guard let rate else { throw ValidationError("--inner \(inner.rawValue) needs \(rateFlag) λ") }
        guard let steps else { throw ValidationError("--inner \(inner.rawValue) needs \(stepsFlag) τ") }
        guard rate > 0, rate.isFinite else { throw ValidationError("\(rateFlag) must be a finite number > 0, got \(rate)") }
        guard steps > 0, steps.isFinite else { throw ValidationError("\(stepsFlag) must be a finite number > 0, got \(steps)") }
        return (rate, steps)
    }
}

/// The outer-loop flags (theory.md §4): how long meta-training (GBML) or joint training (MTL)
/// runs, and the diagonal regularization of its matrix.
struct OuterLoopOptions: ParsableArguments {
    @Option(name: .customLong("meta-time"), parsing: .unconditional,
            help: ArgumentHelp("Training time t of gradient flow (default inf, i.e. to convergence); alone it means rate 1.",
                               valueName: "t"))
    var metaTime: Double?

    @Option(name: .customLong("meta-rate"), parsing: .unconditional,
            help: ArgumentHelp("η, the outer rate (with --meta-steps, or with --meta-time).", valueName: "η"))
    var metaRate: Double?

    @Option(name: .customLong("meta-steps"), parsing: .unconditional, help: ArgumentHelp("S full-batch outer gradient-descent steps.", valueName: "S"))
    var metaSteps: Int?

    @Option(name: .customLong("diag-reg"), parsing: .unconditional,
            help: ArgumentHelp("r: adds r·mean(diag)·I to Φ or Θ_MTL (not to support kernels).", valueName: "r"))
    var diagonalRegularization: Double = 0

    func validate() throws {
        try FlagBounds.require(metaSteps, atLeast: 1, "--meta-steps")
    }

    func training() throws -> TrainingTime {
        guard diagonalRegularization >= 0, diagonalRegularization.isFinite else {
            throw ValidationError("--diag-reg must be a finite number ≥ 0, got \(diagonalRegularization)")
        }
        if let metaRate, !(metaRate > 0 && metaRate.isFinite) {
            throw ValidationError("--meta-rate must be a finite number > 0, got \(metaRate)")
        }
        switch (metaTime, metaSteps) {
        case (.some, .some):
            throw ValidationError("give either --meta-time t or --meta-rate η --meta-steps S, not both")
        case (nil, .some(let steps)):
            guard let metaRate else { throw ValidationError("--meta-steps S needs --meta-rate η") }
            guard steps >= 1 else { throw ValidationError("--meta-steps must be at least 1, got \(steps)") }
            return .gradientDescent(rate: metaRate, steps: steps)
        case (.some(let time), nil):
            guard time > 0 else { throw ValidationError("--meta-time must be > 0 (or inf), got \(time)") }
            return time.isInfinite ? .converged : .gradientFlow(rate: metaRate ?? 1, time: time)
        case (nil, nil):
            if metaRate != nil { throw ValidationError("--meta-rate η needs --meta-steps S or --meta-time t") }
            return .converged
        }
    }
}

/// The MTL flags (theory.md §5); anil and maml ignore them.
struct MTLOptions: ParsableArguments {
    @Option(name: .customLong("mtl-data"), help: ArgumentHelp("What each head trains on.", valueName: "data"))
    var data: MTLSettings.TrainingData = .query

    @Option(name: .customLong("head-correlation"), parsing: .unconditional,
            help: ArgumentHelp("ρ, the heads' correlation at initialisation (MTL only).", valueName: "ρ"))
    var headCorrelation: Double = 1

    @Option(name: .customLong("new-head"), help: ArgumentHelp("A new task's head: init or mean.", valueName: "start"))
    var newHead: MTLSettings.NewHead = .initialization

    /// Warns that the MTL flags changed from their defaults do nothing for a GBML `method`.
    func warnIgnored(by command: String, method: String) {
        let changed = [("--head-correlation", headCorrelation != 1), ("--mtl-data", data != .query),
                       ("--new-head", newHead != .initialization)].filter(\.1).map(\.0)
        guard !changed.isEmpty else { return }
        CommandWarning.print(command, "\(changed.joined(separator: ", ")) ignored: \(changed.count == 1 ? "it configures" : "they configure") "
                             + "MTL's heads, and --method \(method) has none")
    }

    func settings(trainTasks n: Int, testSolver: InnerSolver, training: TrainingTime, diagonalRegularization: Double) throws -> MTLSettings {
        // The N×N head covariance (1 on the diagonal, ρ elsewhere) is PSD iff −1/(N−1) ≤ ρ ≤ 1.
        let lowest = n > 1 ? -1 / Double(n - 1) : -1
        guard headCorrelation >= lowest, headCorrelation <= 1 else {
            throw ValidationError("--head-correlation must lie in [\(lowest), 1] for \(n) training tasks "
                                  + "(otherwise the heads' covariance is not positive semi-definite), got \(headCorrelation)")
        }
        return MTLSettings(data: data, headCorrelation: headCorrelation, newHead: newHead, testSolver: testSolver,
                           training: training, diagonalRegularization: diagonalRegularization)
    }
}
