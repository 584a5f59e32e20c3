import ArgumentParser
import InfiniteWidth

/// The flags of an infinite-width predictor (`predict`): the network and its depth, the
/// quadrature of its kernels, the inner and outer loops, and the MTL options.
struct RunOptions: ParsableArguments {
    @Option(name: .customLong("depth"), parsing: .unconditional,
            help: ArgumentHelp("L, the number of hidden layers (required, except by predict --kernel-dir).", valueName: "L"))
    var givenDepth: Int?

    /// L. Optional only for `predict --kernel-dir`; `architecture()` requires it.
    var depth: Int { givenDepth ?? 0 }

    @OptionGroup var network: ArchitectureOptions
    @OptionGroup var integration: QuadratureOptions
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
}
