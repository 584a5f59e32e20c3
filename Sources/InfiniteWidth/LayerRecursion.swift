import LinearAlgebra

/// The constants of the recursion of theory.md §1 for one architecture:
///
///     Σ¹ = a·x·x' + b                                  a = σ_w²/d, b = σ_b²
///     Σ^{l+1} = w·Σ̂^l + v                              w = σ_w², v = σ_b²
///     Θ¹ = Σ¹,  Θ^{l+1} = Σ^{l+1} + w·Σ̇^l ⊙ Θ^l        (NTK parameterization)
///     Θ¹ = x·x' + 1,  Θ^{l+1} = h·Σ̂^l + 1 + w·Σ̇^l ⊙ Θ^l  (standard, hidden width h)
///
/// and the readout at depth L, with w_out = σ_w,out², v_out = σ_b,out²:
///
///     𝒦 = w_out·Σ̂^L + v_out,   K = 𝒦 (NTK) or h·Σ̂^L + 1 (standard),
///     Θ_body = w_out·Σ̇^L ⊙ Θ^L,   Θ = K + Θ_body.
struct LayerRecursion: Sendable {
    let firstScale: Double
    let firstShift: Double
    let weightVariance: Double
    let biasVariance: Double
    let readoutWeightVariance: Double
    let readoutBiasVariance: Double
    /// h for standard parameterization, nil for NTK parameterization.
    let standardWidth: Double?

    init(_ architecture: Architecture, inputDimension d: Int) {
        firstScale = architecture.weightStd * architecture.weightStd / Double(d)
        firstShift = architecture.biasStd * architecture.biasStd
        weightVariance = architecture.weightStd * architecture.weightStd
        biasVariance = firstShift
        readoutWeightVariance = architecture.readoutWeightStd * architecture.readoutWeightStd
        readoutBiasVariance = architecture.readoutBiasStd * architecture.readoutBiasStd
        if case let .standard(width) = architecture.parameterization {
            standardWidth = Double(width)
        } else {
            standardWidth = nil
        }
    }

    /// Σ¹ from an inner product x·x'.
    func firstCovariance(innerProduct g: Double) -> Double { firstScale * g + firstShift }

    /// Θ¹ from an inner product and Σ¹.
    func firstTangent(innerProduct g: Double, covariance: Double) -> Double {
        standardWidth == nil ? covariance : g + 1
    }

    /// Σ^{l+1} from Σ̂^l.
    func nextCovariance(_ hat: Double) -> Double { weightVariance * hat + biasVariance }

    /// The part of Θ^{l+1} contributed by layer l+1's own parameters.
    func ownTangent(hat: Double, nextCovariance: Double) -> Double {
        if let h = standardWidth { return h * hat + 1 }
        return nextCovariance
    }

    /// K, the readout's tangent kernel, from Σ̂^L (and 𝒦).
    func headKernel(hat: Double, nngp: Double) -> Double {
        if let h = standardWidth { return h * hat + 1 }
        return nngp
    }

    var headIsNNGP: Bool { standardWidth == nil }
}

/// The variances q^l(x) = Σ^l(x, x) of every layer for every point, with the exact diagonal
/// maps Σ̂^l(x, x), Σ̇^l(x, x) and the dual maps' per-point state of each layer
/// (`PreparedVariances`): O(n·L) work that lets each pair run through all layers alone.
struct DiagonalRecursion {
    /// layers[l − 1]: q^l = Σ^l(x_i, x_i), √q^l, Σ̂^l(x_i, x_i), Σ̇^l(x_i, x_i) and the per-point
    /// state of layer l's dual maps.
    let layers: [PreparedVariances]

    init(squaredNorms: [Double], depth: Int, layers recursion: LayerRecursion, dual: DualActivation) {
        var q = squaredNorms.map { recursion.firstCovariance(innerProduct: $0) }
        var layers: [PreparedVariances] = []
        for _ in 1...depth {
            let state = dual.prepare(variances: q)
            layers.append(state)
            q = state.hat.map { recursion.nextCovariance($0) }
        }
        self.layers = layers
    }

    /// q[l − 1][i] = Σ^l(x_i, x_i), l = 1…L.
    var variance: [[Double]] { layers.map(\.variance) }
}
