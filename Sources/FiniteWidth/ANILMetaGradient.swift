import FewShot
import LinearAlgebra

/// ANIL's outer loss and exact meta-gradient (theory.md §7), batched over tasks. The inner loop
/// moves the head alone, so the body's features H = H^L_θ(𝒳̄) are the same for every task and
/// step: one forward pass on all training points gives them, and one backward pass takes the
/// body's share of the meta-gradient.
///
/// With w_k the inner-loop heads (`HeadAdaptationPath`), r_k = w_k(H') − f_θ₀(X') − Y' the
/// support residuals and e = w_τ(H) − f_θ₀(X) − Y the query residual, g_τ = ∇L_q(θ, w_τ) and
/// the recursion g_k = g_{k+1} − λ·H_k·P·g_{k+1} needs H_k only along a head direction v (the
/// head part of g_{k+1}). Pearlmutter's R-operator along v, with the body's trace unmoved, gives
///
///     J_w·v = v(H')                                  (the outputs are linear in the head)
///     H_ww·v = headGradient(H', J_w·v)
///     H_θw·v = the body backpropagation of the feature gradient a·(J_w·v)·W_k + a·r_k·V
///
/// (a·G·W = `featureGradient(G, head: w)`), so that no Hessian is formed. Body backpropagation
/// is linear in the feature gradient and every term of task i lies on its rows of the one trace,
/// so the body's meta-gradient is one backward pass of G = [a·e·W_τ on X_i; −λ·Σ_k (…) on X'_i].
/// The first-order variant keeps g_τ: the query gradient at (θ, w_τ).
extension FiniteGBMLTrainer {
    func anilOuter(_ network: Network, wantsGradient: Bool) throws -> (loss: Double, gradient: [Double]?) {
        let trace = wantsGradient ? try network.traceBody(trainingInputs) : nil
        let features = try trace?.features ?? network.features(trainingInputs)
        var featureGradient = Matrix(rows: wantsGradient ? trainingInputs.rows : 0, columns: network.featureCount)
        var headGradient = [Double](repeating: 0, count: network.headParameters.count)
        var loss = 0.0
        for (i, task) in trainTasks.enumerated() {
            let (query, support) = (points.trainQuery[i], points.trainSupport[i])
            let (queryFeatures, supportFeatures) = (features.rows(query), features.rows(support))
            let path = adaptHead(network, features: supportFeatures, task: task, schedule: innerSchedule,
                                 recording: wantsGradient && !firstOrder)
            let e = network.headResidual(path.adapted, features: queryFeatures, offset: task.queryOffset,
                                         labels: task.queryLabels!)
            loss += Entrywise.halfSquaredNorm(e)
            guard wantsGradient else { continue }
            featureGradient.setBlock(network.featureGradient(outputGradient: e, head: path.adapted), at: query.lowerBound, 0)
            var g = network.headGradient(features: queryFeatures, outputGradient: e)
            if !firstOrder {
                let supportGradient = backpropagateHeadPath(network, path, supportFeatures: supportFeatures, head: &g)
                featureGradient.setBlock(supportGradient, at: support.lowerBound, 0)
            }
            ParameterArithmetic.addScaled(g, 1, to: &headGradient)
        }
        guard let trace else { return (loss, nil) }
        var gradient = [Double](repeating: 0, count: network.parameterCount)
        gradient.withUnsafeMutableBufferPointer { network.backpropagateBody(featureGradient, trace: trace, into: $0.baseAddress!) }
        ParameterArithmetic.addScaled(headGradient, 1, to: &gradient, at: network.headParameters.lowerBound)
        return (loss, gradient)
    }

    /// g_k = g_{k+1} − λ·H_k·P·g_{k+1} for k = τ−1 … 0: updates the head part `g` in place and
    /// returns the body part as a feature gradient on the support points.
    private func backpropagateHeadPath(_ network: Network, _ path: HeadAdaptationPath,
                                       supportFeatures: Matrix, head g: inout [Double]) -> Matrix {
        let rate = innerSchedule.rate
        var supportGradient = Matrix(rows: supportFeatures.rows, columns: network.featureCount)
        for k in path.residuals.indices.reversed() {
            let tangent = network.headOutputs(features: supportFeatures, head: g)
            ParameterArithmetic.addScaled(network.featureGradient(outputGradient: tangent, head: path.heads[k]), -rate,
                                          to: &supportGradient)
            ParameterArithmetic.addScaled(network.featureGradient(outputGradient: path.residuals[k], head: g), -rate,
                                          to: &supportGradient)
            ParameterArithmetic.addScaled(network.headGradient(features: supportFeatures, outputGradient: tangent), -rate,
                                          to: &g)
        }
        return supportGradient
    }

    /// The head-only inner loop of `task` from the network's own head, centered by f_θ₀(X').
    func adaptHead(_ network: Network, features: Matrix, task: CenteredTask,
                   schedule: GradientDescentSchedule, recording: Bool = false) -> HeadAdaptationPath {
        network.adaptHead(Array(network.parameters[network.headParameters]), features: features,
                          offset: task.supportOffset, labels: task.supportLabels, schedule: schedule, recording: recording)
    }
}
