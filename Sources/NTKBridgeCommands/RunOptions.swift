import ArgumentParser
import FiniteWidth
import InfiniteWidth

/// The flags of a predictor or a training run: the network and its depth, the inner and outer
/// loops, and the MTL options (shared by `predict`, `finite`, `convergence` and `cost`).
struct RunOptions: ParsableArguments {
    @Option(name: .customLong("depth"), parsing: .unconditional,
            help: ArgumentHelp("L, the number of hidden layers (required, except by predict --kernel-dir).", valueName: "L"))
    var givenDepth: Int?

    /// L. Optional only for `predict --kernel-dir`; `architecture()` requires it.
    var depth: Int { givenDepth ?? 0 }

    @OptionGroup var network: ArchitectureOptions
    @OptionGroup var innerLoop: InnerLoopOptions
    @OptionGroup var outerLoop: OuterLoopOptions
    @OptionGroup var multitask: MTLOptions

    func validate() throws {
        try FlagBounds.require(givenDepth, atLeast: 1, atMost: Architecture.maximumDepth, "--depth", why: FlagBounds.depthLimitReason)
    }

    func architecture() throws -> Architecture {
        guard let givenDepth else { throw ValidationError("--depth L is required: the number of hidden layers") }
        return try network.architecture(depth: givenDepth)
    }

    /// The hyperparameters shared by the trained networks and their kernel predictors.
    func settings(trainTasks: Int) throws -> FiniteSettings {
        let (inner, test) = try innerLoop.solvers()
        let training = try outerLoop.training()
        let mtl = try multitask.settings(trainTasks: trainTasks, testSolver: test, training: training,
                                         diagonalRegularization: outerLoop.diagonalRegularization)
        guard outerLoop.diagonalRegularization == 0 else {
            throw ValidationError("--diag-reg regularizes the kernel predictor only; a finite network has no counterpart")
        }
        return FiniteSettings(innerSolver: inner, testSolver: test, training: training, mtlData: mtl.data,
                              headCorrelation: mtl.headCorrelation, newHead: mtl.newHead)
    }

    /// A description of every flag that decides the results, for resuming a sweep.
    var configuration: String {
        let n = network, i = innerLoop, o = outerLoop, m = multitask
        return (["depth=\(depth)", "activation=\(n.activation)", "w-std=\(n.weightStd)", "b-std=\(n.biasStd)",
                "out-w-std=\(n.readoutWeightStd.map { "\($0)" } ?? "-")", "out-b-std=\(n.readoutBiasStd.map { "\($0)" } ?? "-")",
                "parameterization=\(n.parameterization)", "inner=\(i.inner)", "inner-rate=\(i.innerRate.map { "\($0)" } ?? "-")",
                "inner-steps=\(i.innerSteps.map { "\($0)" } ?? "-")", "test-inner-rate=\(i.testInnerRate.map { "\($0)" } ?? "-")",
                "test-inner-steps=\(i.testInnerSteps.map { "\($0)" } ?? "-")", "meta-rate=\(o.metaRate.map { "\($0)" } ?? "-")",
                "meta-steps=\(o.metaSteps.map(String.init) ?? "-")", "meta-time=\(o.metaTime.map { "\($0)" } ?? "-")",
                "mtl-data=\(m.data)", "head-correlation=\(m.headCorrelation)", "new-head=\(m.newHead)"]
            + (n.conv == nil ? [] : [n.convolutionConfiguration])).joined(separator: " ")
    }
}
