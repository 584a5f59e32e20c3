/// One layer of the kernel engine, a transform of a kernel state (Neural Tangents' `stax`
/// `kernel_fn`s, NTK parameterization). A state holds, for every pair of inputs (x_i, x_j), the
/// NNGP covariance Σ and the tangent kernel Θ — one value per spatial site while the state is
/// spatial, one value after a pooling layer. With w = σ_w², v = σ_b²:
///
///     input                 Σ⁰[p, p'] = x_i[p]·x_j[p'] / C,  Θ⁰ = 0     (channels averaged)
///     convolution(w, v)     Σ' = w·𝒜(Σ) + v,   Θ' = w·𝒜(Θ) + Σ'
///                           𝒜(S)[p, p'] = (1/(Kh·Kw))·Σ_taps δ S[p + δ, p' + δ]   (0 beyond a SAME border)
///     activation(l)         Σ' = Σ̂(Σ),   Θ' = Σ̇(Σ) ⊙ Θ      (dual maps with the per-point variances of layer l)
///     flatten               Σ' = mean_p Σ[p, p],      Θ' = mean_p Θ[p, p]
///     globalAveragePool     Σ' = mean_{p,p'} Σ[p, p'], Θ' = mean_{p,p'} Θ[p, p']
///     dense(w, v)           Σ' = w·Σ + v,   Θ' = w·Θ + Σ'   (the readout; head = Σ', body = w·Θ)
///
/// A flatten readout needs only the same-pixel sites Σ[p, p] throughout (a convolution maps the
/// spatial diagonal to itself), global average pooling needs every pixel pair.
enum KernelLayer: Sendable, Equatable {
    case convolution(weightVariance: Double, biasVariance: Double)
    case activation(layer: Int)
    case flatten
    case globalAveragePool
    case dense(weightVariance: Double, biasVariance: Double)

    /// The hidden layers of a convolutional architecture at depth L:
    /// L × (convolution, activation).
    static func hiddenLayers(_ architecture: Architecture, depth: Int) -> [KernelLayer] {
        let w = architecture.weightStd * architecture.weightStd, v = architecture.biasStd * architecture.biasStd
        return (1...depth).flatMap { [KernelLayer.convolution(weightVariance: w, biasVariance: v), .activation(layer: $0)] }
    }

    /// The readout of a convolutional architecture: pooling, then the dense output layer.
    static func readoutLayers(_ architecture: Architecture, _ convolution: Convolution) -> [KernelLayer] {
        let pool: KernelLayer = convolution.readout == .flatten ? .flatten : .globalAveragePool
        return [pool, .dense(weightVariance: architecture.readoutWeightStd * architecture.readoutWeightStd,
                             biasVariance: architecture.readoutBiasStd * architecture.readoutBiasStd)]
    }

    /// The whole network: hidden layers then readout.
    static func network(_ architecture: Architecture, _ convolution: Convolution) -> [KernelLayer] {
        hiddenLayers(architecture, depth: architecture.depth) + readoutLayers(architecture, convolution)
    }
}
