import FewShot
import LinearAlgebra

/// MAML's outer loss and exact meta-gradient (theory.md §7). Each task adapts all parameters,
///
///     θ_{k+1} = θ_k − λ·∇L_s(θ_k),   L_s(θ) = ½‖f_θ(X') − f_θ₀(X') − Y'‖²   (`adaptationSteps`),
///
/// and the meta-gradient of ½‖f_c(θ_τ)(X) − Y‖² is g_0 of the backward recursion
///
///     g_τ = ∇L_q(θ_τ),   g_k = g_{k+1} − λ·H_k·g_{k+1},   H_k = ∇²L_s(θ_k),
///
/// with H_k·g by Pearlmutter's R-operator (`hessianVectorProduct`), never a Hessian. The
/// inner-loop parameters θ_0 … θ_{τ−1} are kept for the backward pass (τ parameter vectors per
/// task, one task at a time). First-order MAML (FOMAML) drops the H_k terms: g_0 = ∇L_q(θ_τ),
/// the full query gradient at the adapted parameters.
extension FiniteGBMLTrainer {
    /// The buffers are lent by `scratch` (θ_1 … θ_τ, g and the next g), so that a step allocates
    /// nothing parameter-sized but the returned gradient; θ_0 is the network's own buffer. Per
    /// task that is τ forward-and-backward passes on the support set, one on the query set and
    /// (exact MAML) τ Hessian-vector products.
    func mamlOuter(_ network: Network, wantsGradient: Bool) throws -> (loss: Double, gradient: [Double]?) {
        let count = network.parameterCount, (rate, tau) = (innerSchedule.rate, innerSchedule.steps)
        let recording = wantsGradient && !firstOrder
        var loss = 0.0
        var gradient = [Double](repeating: 0, count: wantsGradient ? count : 0)
        try scratch.withBuffers(recording ? tau + 2 : 1) { buffers in
            try network.parameters.withUnsafeBufferPointer { theta in
                try gradient.withUnsafeMutableBufferPointer { total in
                    for task in trainTasks {
                        // θ_τ (and, when recording, θ_1 … θ_{τ−1} kept in buffers[0 ..< τ]).
                        var path = [theta.baseAddress!]
                        for k in 0..<tau {
                            let next = buffers[recording ? k : 0]
                            if next != path[k] { copyParameters(path[k], to: next, count: count) }
                            _ = try network.addLossGradient(task.support, targets: task.supportLabels,
                                                            offset: task.supportOffset, at: next, scale: -rate, into: next)
                            path.append(next)
                        }
                        let adapted = path[tau]
                        guard wantsGradient else {
                            let f = try network.outputs(task.query, offset: task.queryOffset, at: adapted)
                            loss += Entrywise.halfSquaredNorm(f - task.queryLabels!)
                            continue
                        }
                        guard recording else {
                            loss += try network.addLossGradient(task.query, targets: task.queryLabels!, offset: task.queryOffset,
                                                                at: adapted, scale: 1, into: total.baseAddress!)
                            continue
                        }
                        var (g, next) = (buffers[tau], buffers[tau + 1])
                        g.update(repeating: 0, count: count)
                        loss += try network.addLossGradient(task.query, targets: task.queryLabels!, offset: task.queryOffset,
                                                            at: adapted, scale: 1, into: g)
                        for k in (0..<tau).reversed() {
                            copyParameters(g, to: next, count: count)
                            try network.addHessianVectorProduct(task.support, targets: task.supportLabels,
                                                                offset: task.supportOffset, at: path[k], direction: g,
                                                                scale: -rate, into: next)
                            swap(&g, &next)
                        }
                        ParameterArithmetic.addScaled(g, 1, to: total.baseAddress!, count: count)
                    }
                }
            }
        }
        return (loss, wantsGradient ? gradient : nil)
    }

    /// θ_τ of the inner loop of `task` on all parameters from `network` (τ in-place gradient
    /// steps in one scratch buffer), handed to `body`.
    func withAdaptedParameters<R>(_ task: CenteredTask, from network: Network,
                                  schedule: GradientDescentSchedule,
                                  _ body: (UnsafePointer<Double>) throws -> R) throws -> R {
        let count = network.parameterCount
        return try scratch.withBuffers(1) { buffers in
            let current = buffers[0]
            network.parameters.withUnsafeBufferPointer { copyParameters($0.baseAddress!, to: current, count: count) }
            for _ in 0..<schedule.steps {
                _ = try network.addLossGradient(task.support, targets: task.supportLabels, offset: task.supportOffset,
                                                at: current, scale: -schedule.rate, into: current)
            }
            return try body(current)
        }
    }
}
