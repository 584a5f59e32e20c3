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
extension FiniteGBML {
    func mamlOuter(_ network: FullyConnectedNetwork, wantsGradient: Bool) throws -> (loss: Double, gradient: [Double]?) {
        var loss = 0.0
        var gradient = [Double](repeating: 0, count: wantsGradient ? network.parameterCount : 0)
        for task in trainTasks {
            let path = try adaptationSteps(task, from: network, schedule: innerSchedule, recording: wantsGradient && !firstOrder)
            let adapted = path[path.count - 1]
            guard wantsGradient else {
                loss += try adapted.loss(task.query, targets: task.queryLabels!, offset: task.queryOffset)
                continue
            }
            let query = try adapted.lossGradient(task.query, targets: task.queryLabels!, offset: task.queryOffset)
            loss += query.loss
            var g = query.gradient
            if !firstOrder {
                for k in (0..<(path.count - 1)).reversed() {
                    let hg = try path[k].hessianVectorProduct(task.support, targets: task.supportLabels, direction: g,
                                                              offset: task.supportOffset)
                    ParameterArithmetic.addScaled(hg, -innerSchedule.rate, to: &g)
                }
            }
            ParameterArithmetic.addScaled(g, 1, to: &gradient)
        }
        return (loss, wantsGradient ? gradient : nil)
    }

    /// The inner loop of `task` on all parameters: θ_0 … θ_τ when `recording`, else θ_τ alone.
    func adaptationSteps(_ task: CenteredTask, from network: FullyConnectedNetwork, schedule: GradientDescentSchedule,
                         recording: Bool) throws -> [FullyConnectedNetwork] {
        var path = [network], current = network
        for _ in 0..<schedule.steps {
            let gradient = try current.lossGradient(task.support, targets: task.supportLabels, offset: task.supportOffset)
            current = ParameterArithmetic.moved(current, -schedule.rate, along: gradient.gradient)
            if recording { path.append(current) }
        }
        return recording ? path : [current]
    }
}
