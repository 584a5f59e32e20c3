import LinearAlgebra

/// Reverse mode through the network, one GEMM per product:
///
///     D^l = G^l ⊙ φ'(Z^l),   ∂W^l = a_l·D^lᵀ·H^{l−1},   ∂b^l = β_l·Σ_points D^l,   G^{l−1} = a_l·D^l·W^l
///
/// starting from G^L, the gradient with respect to the features H^L (for the whole network,
/// G^L = a_{L+1}·G·W^{L+1} with G the gradient with respect to the outputs).
extension FullyConnectedNetwork {
    /// Jᵀ·G: the gradient with respect to all parameters of a loss whose gradient with respect to
    /// the outputs f(X) is G (n × k). For the sum loss ½‖f(X) − Y‖², G = f(X) − Y. The trace must
    /// come from this network with its current parameters.
    public func parameterGradient(outputGradient: Matrix, trace: ForwardTrace) -> [Double] {
        precondition(outputGradient.rows == trace.body.pointCount && outputGradient.columns == outputCount,
                     "the output gradient must be \(trace.body.pointCount)×\(outputCount)")
        var gradient = [Double](repeating: 0, count: parameterCount)
        let featureGradient = featureGradient(outputGradient: outputGradient)
        gradient.withUnsafeMutableBufferPointer { g in
            readout.addGradient(outputGradient, input: trace.body.features, into: g.baseAddress!)
            backpropagateBody(featureGradient, trace: trace.body, into: g.baseAddress!)
        }
        return gradient
    }

    /// The gradient with respect to the body's parameters of a loss whose gradient with respect
    /// to the features H^L(X) is `featureGradient` (n × h). It has `bodyParameters.count`
    /// entries, at the same positions as in `parameters` (the body comes first).
    public func bodyGradient(featureGradient: Matrix, trace: BodyTrace) -> [Double] {
        precondition(featureGradient.rows == trace.pointCount && featureGradient.columns == width,
                     "the feature gradient must be \(trace.pointCount)×\(width)")
        var gradient = [Double](repeating: 0, count: bodyParameters.count)
        gradient.withUnsafeMutableBufferPointer { g in
            backpropagateBody(featureGradient, trace: trace, into: g.baseAddress!)
        }
        return gradient
    }

    /// Adds the body's parameter gradients into `gradient` (indexed like `parameters`).
    public func backpropagateBody(_ featureGradient: Matrix, trace: BodyTrace, into gradient: UnsafeMutablePointer<Double>) {
        parameters.withUnsafeBufferPointer { p in
            backpropagateBody(featureGradient, trace: trace, at: p.baseAddress!, scale: 1, into: gradient)
        }
    }

    /// Adds s times the body's parameter gradients at the parameters `p` into `gradient`.
    func backpropagateBody(_ featureGradient: Matrix, trace: BodyTrace, at p: UnsafePointer<Double>, scale: Double,
                           into gradient: UnsafeMutablePointer<Double>) {
        forEachBodyDelta(featureGradient: featureGradient, trace: trace, at: p) { index, delta in
            layers[index].addGradient(delta, input: trace.activations[index], into: gradient, scale: scale)
        }
    }

    /// Visits D^l = ∂loss/∂Z^l for l = L … 1, as (index l − 1 in `layers`, D^l), given the
    /// gradient G^L with respect to the features.
    func forEachBodyDelta(featureGradient: Matrix, trace: BodyTrace, _ visit: (Int, Matrix) -> Void) {
        parameters.withUnsafeBufferPointer { p in
            forEachBodyDelta(featureGradient: featureGradient, trace: trace, at: p.baseAddress!, visit)
        }
    }

    /// `forEachBodyDelta` at the parameters `p` (a buffer laid out like `parameters`). Each D^l
    /// is pulled back through W^l before it is visited, so a visitor may update W^l in place.
    func forEachBodyDelta(featureGradient: Matrix, trace: BodyTrace, at p: UnsafePointer<Double>,
                          _ visit: (Int, Matrix) -> Void) {
        var delta = featureGradient
        for index in hiddenLayers.indices.reversed() {
            Entrywise.multiply(&delta, by: trace.slopes[index])
            let pulled = index > 0 ? layers[index].pullBack(delta, parameters: p) : nil
            visit(index, delta)
            if let pulled { delta = pulled }
        }
    }
}
