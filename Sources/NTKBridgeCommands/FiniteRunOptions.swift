import ArgumentParser
import FewShot
import FiniteWidth
import InfiniteWidth

/// The flags of a finite network trained by gradient descent (`finite`, `convergence`, `cost`):
/// the network and its depth, τ inner gradient-descent steps of rate λ, S outer steps of rate η,
/// and the MTL options. Only what finite training uses: no inner solver (it is always discrete),
/// no ridge, no gradient-flow time, no diagonal regularization, no quadrature.
struct FiniteRunOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("L, the number of hidden layers.", valueName: "L"))
    var depth: Int

    @OptionGroup var network: ArchitectureOptions
    @OptionGroup var innerLoop: FiniteInnerLoopOptions
    @OptionGroup var outerLoop: FiniteOuterLoopOptions
    @OptionGroup var multitask: MTLOptions

    func validate() throws {
        try FlagBounds.require(depth, atLeast: 1, atMost: Architecture.maximumDepth, "--depth", why: FlagBounds.depthLimitReason)
    }

    func architecture() throws -> Architecture { try network.architecture(depth: depth) }

    /// The hyperparameters shared by the trained networks and their kernel predictors.
    func settings(trainTasks: Int) throws -> FiniteSettings {
        let (inner, test) = try innerLoop.solvers()
        let training = try outerLoop.training()
        let mtl = try multitask.settings(trainTasks: trainTasks, testSolver: test, training: training, diagonalRegularization: 0)
        return FiniteSettings(innerSolver: inner, testSolver: test, training: training, mtlData: mtl.data,
                              headCorrelation: mtl.headCorrelation, newHead: mtl.newHead)
    }

    /// Warnings for `command`: the deprecated `--inner discrete`.
    func warnDeprecatedFlags(by command: String) {
        innerLoop.warnDeprecatedSolver(by: command)
    }

    /// A description of every flag that decides the results, for resuming a sweep (worded as
    /// before the finite flags had their own group, so that earlier sweeps still resume).
    var configuration: String {
        let n = network, i = innerLoop, o = outerLoop, m = multitask
        return (["depth=\(depth)", "activation=\(n.activation)", "w-std=\(n.weightStd)", "b-std=\(n.biasStd)",
                 "out-w-std=\(n.readoutWeightStd.map { "\($0)" } ?? "-")", "out-b-std=\(n.readoutBiasStd.map { "\($0)" } ?? "-")",
                 "parameterization=\(n.parameterization.rawValue)", "inner=discrete", "inner-rate=\(i.innerRate)",
                 "inner-steps=\(i.innerSteps)", "test-inner-rate=\(i.testInnerRate.map { "\($0)" } ?? "-")",
                 "test-inner-steps=\(i.testInnerSteps.map { "\($0)" } ?? "-")", "meta-rate=\(o.metaRate.map { "\($0)" } ?? "-")",
                 "meta-steps=\(o.metaSteps.map(String.init) ?? "-")", "meta-time=-",
                 "mtl-data=\(m.data.rawValue)", "head-correlation=\(m.headCorrelation)", "new-head=\(m.newHead.rawValue)"]
                + (n.conv == nil ? [] : [n.convolutionConfiguration])).joined(separator: " ")
    }
}

/// The inner loop of a finite network: τ gradient-descent steps of rate λ on the support loss
/// (theory.md §7), and the test-time adaptation that defaults to it.
struct FiniteInnerLoopOptions: ParsableArguments {
    /// Older command lines gave `--inner discrete`; a finite network has no other inner loop.
    @Option(name: .customLong("inner"), help: .hidden)
    var deprecatedSolver: String?

    @Option(name: .customLong("inner-rate"), parsing: .unconditional, help: ArgumentHelp("λ, the inner rate (per sum loss).", valueName: "λ"))
    var innerRate: Double

    @Option(name: .customLong("inner-steps"), parsing: .unconditional,
            help: ArgumentHelp("τ, the number of inner gradient-descent steps.", valueName: "τ"))
    var innerSteps: Double

    @Option(name: .customLong("test-inner-rate"), parsing: .unconditional,
            help: ArgumentHelp("λ̂ at test time (default: --inner-rate).", valueName: "λ̂"))
    var testInnerRate: Double?

    @Option(name: .customLong("test-inner-steps"), parsing: .unconditional,
            help: ArgumentHelp("τ̂ at test time (default: --inner-steps).", valueName: "τ̂"))
    var testInnerSteps: Double?

    func validate() throws {
        if let solver = deprecatedSolver, solver != "discrete" {
            throw ValidationError("--inner \(solver): a finite network's inner loop is gradient-descent steps (--inner-rate λ, "
                                  + "--inner-steps τ); drop --inner (discrete is the only one, and implied)")
        }
    }

    func warnDeprecatedSolver(by command: String) {
        guard deprecatedSolver != nil else { return }
        CommandWarning.print(command, "--inner discrete is deprecated here and may be dropped: a finite network's inner loop "
                             + "is always gradient-descent steps")
    }

    /// The training and test-time inner loops, each τ steps of rate λ.
    func solvers() throws -> (training: InnerSolver, test: InnerSolver) {
        let training = try steps(rate: innerRate, count: innerSteps, "--inner-rate", "--inner-steps")
        let test = try steps(rate: testInnerRate ?? innerRate, count: testInnerSteps ?? innerSteps,
                             testInnerRate == nil ? "--inner-rate" : "--test-inner-rate",
                             testInnerSteps == nil ? "--inner-steps" : "--test-inner-steps")
        return (training, test)
    }

    private func steps(rate: Double, count: Double, _ rateFlag: String, _ stepsFlag: String) throws -> InnerSolver {
        guard rate > 0, rate.isFinite else { throw ValidationError("\(rateFlag) must be a finite number > 0, got \(rate)") }
        guard count == count.rounded(), count >= 1, count <= Double(Int32.max) else {
            throw ValidationError("\(stepsFlag) must be a whole number of steps (≥ 1), got \(count)")
        }
        return .gradientDescent(rate: rate, steps: Int(count))
    }
}

/// The outer loop of a finite network: S full-batch gradient-descent steps of rate η.
struct FiniteOuterLoopOptions: ParsableArguments {
    @Option(name: .customLong("meta-rate"), parsing: .unconditional, help: ArgumentHelp("η, the outer rate.", valueName: "η"))
    var metaRate: Double?

    @Option(name: .customLong("meta-steps"), parsing: .unconditional, help: ArgumentHelp("S full-batch outer gradient-descent steps.", valueName: "S"))
    var metaSteps: Int?

    func validate() throws {
        try FlagBounds.require(metaSteps, atLeast: 1, "--meta-steps")
    }

    func training() throws -> TrainingTime {
        guard let metaRate else { throw ValidationError("--meta-rate η is required: the rate of the outer gradient-descent steps") }
        guard metaRate > 0, metaRate.isFinite else { throw ValidationError("--meta-rate must be a finite number > 0, got \(metaRate)") }
        guard let metaSteps else { throw ValidationError("--meta-steps S is required: the number of outer gradient-descent steps") }
        return .gradientDescent(rate: metaRate, steps: metaSteps)
    }
}
