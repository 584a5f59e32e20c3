import FewShot
import InfiniteWidth
import LinearAlgebra
import Paradigms

extension FullyConnectedNetwork {
    /// The empirical kernels of this network (output unit 0) on every stacked point of a task
    /// set, wrapped like the analytic ones so that Paradigms' predictors run on them
    /// (theory.md §7): ntk = Θ̂, head = K̂, body = Θ̂ − K̂. The `nngp` slot holds K̂ too (the
    /// empirical NNGP kernel in NTK parameterization; no predictor reads it).
    ///
    /// The trainers build their kernel predictor from these at initialisation: it is the
    /// network's own linearization (exactly so for one output and, for MTL, ρ = 1), and its
    /// construction refuses rates that would make gradient descent diverge.
    public func empiricalTaskKernels(_ points: StackedPoints) throws -> TaskKernels {
        let empirical = try empiricalKernels(points.inputs)
        let kernels = NetworkKernels(depth: depth, nngp: empirical.head, ntk: empirical.ntk,
                                     head: empirical.head, body: empirical.body)
        return TaskKernels(points: points, kernels: kernels)
    }
}
