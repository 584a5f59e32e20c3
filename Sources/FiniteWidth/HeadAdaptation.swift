import LinearAlgebra

/// The path of τ gradient-descent steps of rate λ on the head alone, the features H' = H^L(X')
/// of the support points fixed (the ANIL inner loop, MTL's test-time head fine-tuning):
///
///     r_k = head_{w_k}(H') − offset' − Y',   w_{k+1} = w_k − λ·∇_w ½‖r_k‖² = w_k − λ·headGradient(H', r_k)
///
/// with offset' the centering f_θ₀(X') (theory.md §7). The head is linear in w, so this moves the
/// outputs by exactly −K̂(x, X')·T·r_0 with the discrete T of theory.md §3.
struct HeadAdaptationPath {
    /// w_0 … w_τ (only w_τ when the path was not recorded).
    let heads: [[Double]]
    /// r_0 … r_{τ−1} (empty when the path was not recorded).
    let residuals: [Matrix]

    /// w_τ, the adapted head.
    var adapted: [Double] { heads[heads.count - 1] }
}

extension LinearHeadNetwork {
    /// Adapts `head` on support features; `recording` keeps every w_k and r_k for the backward
    /// recursion of the meta-gradient.
    func adaptHead(_ head: [Double], features: Matrix, offset: Matrix, labels: Matrix,
                   schedule: GradientDescentSchedule, recording: Bool = false) -> HeadAdaptationPath {
        var heads = [head], residuals: [Matrix] = []
        var current = head
        for _ in 0..<schedule.steps {
            let residual = headResidual(current, features: features, offset: offset, labels: labels)
            let gradient = headGradient(features: features, outputGradient: residual)
            ParameterArithmetic.addScaled(gradient, -schedule.rate, to: &current)
            if recording {
                heads.append(current)
                residuals.append(residual)
            }
        }
        return HeadAdaptationPath(heads: recording ? heads : [current], residuals: residuals)
    }

    /// head_w(H) − offset − Y: the residual of the centered sum loss through head w.
    func headResidual(_ head: [Double], features: Matrix, offset: Matrix, labels: Matrix) -> Matrix {
        var residual = headOutputs(features: features, head: head)
        ParameterArithmetic.addScaled(offset, -1, to: &residual)
        ParameterArithmetic.addScaled(labels, -1, to: &residual)
        return residual
    }
}
