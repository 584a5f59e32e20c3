import LinearAlgebra

/// The forward R-pass of the convolutional network along a direction v (forward-mode
/// differentiation, Pearlmutter's R-operator), on stacked images:
///
///     R{P^l} = P(R{h^{l−1}}) (R{P¹} = 0: the images do not move),
///     R{Z^l} = a_l·(R{P^l}·W^l + P^l·V^l) + β_l·1·v_b^lᵀ,   R{h^l} = φ'(Z^l) ⊙ R{Z^l},
///     R{r} = r(R{h^L}),   R{f} = a·(W_out·R{r} + V_out·r) + β·v_b,out = J·v.
struct ConvolutionalTangent {
    /// R{P^l} for l = 2 … L (index l − 1; index 0 is unused).
    let patches: [Matrix]
    /// R{Z¹} … R{Z^L}.
    let preactivations: [Matrix]
    /// R{r}, n × F.
    let features: Matrix
    /// R{f} = J·v, n × k.
    let outputs: Matrix
}

/// Exact Hessian-vector products of ½‖f(X) − offset − Y‖² for the convolutional network: one
/// forward R-pass (`ConvolutionalTangent`), then the R-operator applied to backpropagation
/// through the patch products. With G = f − offset − Y, G^l = ∂ℓ/∂h^l, D^l = ∂ℓ/∂Z^l and S the
/// scatter (the adjoint of patch extraction):
///
///     R{∂W_out} = a·(R{G}ᵀ·r + Gᵀ·R{r}),   R{∂b_out} = β·Σ R{G},   R{G^L} = rᵀ(a·(R{G}·W_out + G·V_out))
///     R{D^l} = R{G^l} ⊙ φ'(Z^l) + G^l ⊙ φ''(Z^l) ⊙ R{Z^l}
///     R{∂W^l} = a_l·(R{P^l}ᵀ·D^l + P^lᵀ·R{D^l}),   R{∂b^l} = β_l·Σ R{D^l}
///     R{G^{l−1}} = S(a_l·(R{D^l}·W^lᵀ + D^l·V^lᵀ))
///
/// with R{G} = R{f}, and H·v = R{∇ℓ}. Per layer that is three patch GEMMs forward-and-tangent and
/// five backward, against two and two for a gradient: about 8/3 of a gradient's work, as for the
/// fully connected network. φ'' is skipped for the piecewise-linear activations (zero almost
/// everywhere). No Hessian is formed.
extension ConvolutionalNetwork {
    /// Adds s·H·v into `product`, H the Hessian at the parameters `p` (`product` must not alias
    /// `p` or `v`).
    public func addHessianVectorProduct(_ x: Matrix, targets: Matrix, offset: Matrix?, at p: UnsafePointer<Double>,
                                        direction v: UnsafePointer<Double>, scale s: Double,
                                        into product: UnsafeMutablePointer<Double>) throws {
        try validateInputs(x, name: "X")
        let trace = traceBody(x, at: p)
        let residual = try residual(readout.apply(trace.features, parameters: p), targets: targets, offset: offset)
        let tangent = tangentPass(trace, at: p, direction: v)
        readout.addGradient(tangent.outputs, input: trace.features, into: product, scale: s)
        readout.addGradient(residual, input: tangent.features, into: product, includeBias: false, scale: s)
        var g = featureAdjoint(readout.pullBack(residual, parameters: p))
        var rgFeatures = readout.pullBack(tangent.outputs, parameters: p)
        readout.addPullBack(residual, parameters: v, into: &rgFeatures)
        var rg = featureAdjoint(rgFeatures)
        for l in hiddenLayers.indices.reversed() {
            let layer = hiddenLayers[l]
            var (d, rd) = (g, rg)
            Entrywise.multiply(&d, by: trace.slopes[l])
            Entrywise.multiply(&rd, by: trace.slopes[l])
            if elementwise.hasCurvature {
                Entrywise.addProduct(&rd, g, elementwise.curvatures(trace.preactivations[l]), tangent.preactivations[l])
            }
            layer.addGradient(rd, patches: trace.patches[l], into: product, scale: s)
            guard l > 0 else { break }
            layer.addGradient(d, patches: tangent.patches[l], into: product, includeBias: false, scale: s)
            g = ImagePatches.scatter(layer.pullBack(d, parameters: p), convolution, channels: channels)
            var rgPatches = layer.pullBack(rd, parameters: p)
            layer.addPullBack(d, parameters: v, into: &rgPatches)
            rg = ImagePatches.scatter(rgPatches, convolution, channels: channels)
        }
    }

    /// The forward R-pass along v at the parameters `p`.
    func tangentPass(_ trace: ConvolutionalTrace, at p: UnsafePointer<Double>,
                     direction v: UnsafePointer<Double>) -> ConvolutionalTangent {
        var patches = [Matrix(rows: 0, columns: 0)], preactivations: [Matrix] = []
        var rh = Matrix(rows: 0, columns: 0)
        for (l, layer) in hiddenLayers.enumerated() {
            var rz = layer.apply(trace.patches[l], parameters: v)
            if l > 0 {
                let rp = ImagePatches.extract(rh, convolution)
                layer.addWeightProduct(rp, parameters: p, into: &rz)
                patches.append(rp)
            }
            preactivations.append(rz)
            rh = rz
            Entrywise.multiply(&rh, by: trace.slopes[l])
        }
        let features = readoutFeatures(rh, images: trace.features.rows)
        var outputs = readout.apply(trace.features, parameters: v)
        readout.addWeightProduct(features, parameters: p, into: &outputs)
        return ConvolutionalTangent(patches: patches, preactivations: preactivations, features: features, outputs: outputs)
    }
}
