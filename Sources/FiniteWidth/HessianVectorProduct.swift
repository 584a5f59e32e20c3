import LinearAlgebra

/// The directional derivatives R{·} = d/dε|_{ε=0} (at θ + ε·v) of a forward pass, Pearlmutter's
/// R-operator applied to the forward pass (forward-mode differentiation):
///
///     R{Z^l} = a_l·(R{H^{l−1}}·W^lᵀ + H^{l−1}·V^lᵀ) + β_l·1·v_b^lᵀ,   R{H^l} = φ'(Z^l) ⊙ R{Z^l},
///     R{H⁰} = 0,   R{f} = R{Z^{L+1}} = J·v.
struct TangentTrace {
    /// R{Z¹} … R{Z^L}.
    let preactivations: [Matrix]
    /// R{H¹} … R{H^L}.
    let activations: [Matrix]
    /// R{f} = J·v, n × k.
    let outputs: Matrix
}

/// Exact Hessian-vector products of the sum loss ℓ = ½‖f(X) − offset − Y‖² by Pearlmutter's
/// R-operator: one forward R-pass (`TangentTrace`), then the R-operator applied to
/// backpropagation. With G = f − offset − Y, G^l = ∂ℓ/∂H^l and D^l = ∂ℓ/∂Z^l:
///
///     R{G} = R{f}
///     R{∂W^{L+1}} = a·(R{G}ᵀ·H^L + Gᵀ·R{H^L}),   R{∂b^{L+1}} = β·Σ R{G},   R{G^L} = a·(R{G}·W + G·V)
///     R{D^l} = R{G^l} ⊙ φ'(Z^l) + G^l ⊙ φ''(Z^l) ⊙ R{Z^l}
///     R{∂W^l} = a_l·(R{D^l}ᵀ·H^{l−1} + D^lᵀ·R{H^{l−1}}),   R{∂b^l} = β_l·Σ R{D^l}
///     R{G^{l−1}} = a_l·(R{D^l}·W^l + D^l·V^l)
///
/// and H·v = R{∇ℓ}. φ'' = 0 almost everywhere for the ABReLU family and the identity, whose
/// curvature term is skipped (a custom activation must supply φ''). No Hessian is ever formed.
extension FullyConnectedNetwork {
    /// J·v, n × k: the derivative of the outputs f(X) along the direction v in parameter space.
    public func jacobianVectorProduct(_ x: Matrix, direction: [Double]) throws -> Matrix {
        try tangentPass(traceBody(x), direction: direction).outputs
    }

    /// Adds s·H·v into `product`, H the Hessian at the parameters `p` (buffers laid out like
    /// `parameters`; `product` must not alias `p` or `v`).
    public func addHessianVectorProduct(_ x: Matrix, targets: Matrix, offset: Matrix?, at p: UnsafePointer<Double>,
                                 direction v: UnsafePointer<Double>, scale: Double,
                                 into product: UnsafeMutablePointer<Double>) throws {
        try validateInputs(x, name: "X")
        let body = traceBody(x, at: p)
        let trace = ForwardTrace(body: body, outputs: readout.apply(body.features, parameters: p))
        let residual = try residual(trace, targets: targets, offset: offset)
        let tangent = tangentPass(body, at: p, direction: v)
        let buffers = SecondOrderBuffers(parameters: p, direction: v, product: product, scale: scale)
        let (g, rg) = secondOrderReadout(trace, residual, tangent, buffers)
        secondOrderBody(body, tangent, featureGradient: g, tangentFeatureGradient: rg, buffers)
    }

    /// The forward R-pass along `direction`.
    func tangentPass(_ trace: BodyTrace, direction: [Double]) -> TangentTrace {
        precondition(direction.count == parameterCount,
                     "a direction has \(parameterCount) entries, but \(direction.count) were given")
        return parameters.withUnsafeBufferPointer { p in
            direction.withUnsafeBufferPointer { v in tangentPass(trace, at: p.baseAddress!, direction: v.baseAddress!) }
        }
    }

    /// The forward R-pass along v at the parameters `p`.
    func tangentPass(_ trace: BodyTrace, at p: UnsafePointer<Double>, direction v: UnsafePointer<Double>) -> TangentTrace {
        var preactivations: [Matrix] = [], activations: [Matrix] = []
        var outputs = Matrix(rows: 0, columns: 0)
        for (index, layer) in layers.enumerated() {
            var rz = layer.apply(trace.activations[index], parameters: v)
            if index > 0 {
                layer.addWeightProduct(activations[index - 1], parameters: p, into: &rz)
            }
            guard index < depth else { outputs = rz; break }
            var rh = rz
            Entrywise.multiply(&rh, by: trace.slopes[index])
            preactivations.append(rz)
            activations.append(rh)
        }
        return TangentTrace(preactivations: preactivations, activations: activations, outputs: outputs)
    }

    /// The readout's part of H·v; returns G^L and R{G^L} for the body.
    private func secondOrderReadout(_ trace: ForwardTrace, _ residual: Matrix, _ tangent: TangentTrace,
                                    _ buffers: SecondOrderBuffers) -> (Matrix, Matrix) {
        let layer = readout
        layer.addGradient(tangent.outputs, input: trace.body.features, into: buffers.product, scale: buffers.scale)
        layer.addGradient(residual, input: tangent.activations[depth - 1], into: buffers.product, includeBias: false,
                          scale: buffers.scale)
        let g = layer.pullBack(residual, parameters: buffers.parameters)
        var rg = layer.pullBack(tangent.outputs, parameters: buffers.parameters)
        layer.addPullBack(residual, parameters: buffers.direction, into: &rg)
        return (g, rg)
    }

    /// The hidden layers' part of H·v, from G^L and R{G^L}.
    private func secondOrderBody(_ trace: BodyTrace, _ tangent: TangentTrace, featureGradient: Matrix,
                                 tangentFeatureGradient: Matrix, _ buffers: SecondOrderBuffers) {
        var (g, rg) = (featureGradient, tangentFeatureGradient)
        for index in hiddenLayers.indices.reversed() {
            let layer = layers[index]
            var d = g, rd = rg
            Entrywise.multiply(&d, by: trace.slopes[index])
            Entrywise.multiply(&rd, by: trace.slopes[index])
            if elementwise.hasCurvature {
                Entrywise.addProduct(&rd, g, elementwise.curvatures(trace.preactivations[index]),
                                     tangent.preactivations[index])
            }
            layer.addGradient(rd, input: trace.activations[index], into: buffers.product, scale: buffers.scale)
            guard index > 0 else { break }
            layer.addGradient(d, input: tangent.activations[index - 1], into: buffers.product, includeBias: false,
                              scale: buffers.scale)
            g = layer.pullBack(d, parameters: buffers.parameters)
            rg = layer.pullBack(rd, parameters: buffers.parameters)
            layer.addPullBack(d, parameters: buffers.direction, into: &rg)
        }
    }
}

/// The three parameter-shaped buffers of a Hessian-vector product: θ, v and the product that
/// s·H·v is added to.
private struct SecondOrderBuffers {
    let parameters: UnsafePointer<Double>
    let direction: UnsafePointer<Double>
    let product: UnsafeMutablePointer<Double>
    let scale: Double
}
