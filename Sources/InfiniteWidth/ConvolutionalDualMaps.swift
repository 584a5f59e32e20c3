import CNumerics

/// The one place where the convolutional kernel engine calls the activation's dual maps
/// (`DualActivation`): Σ̂ = E[φ(u)φ(v)] and Σ̇ = E[φ'(u)φ'(v)] for (u, v) ~ N(0, [[q_i, Σ], [Σ, q_j]]).
///
/// A run shares the row point: one variance q_i (of x_i at pixel p) against a run of variances
/// q_j (of the points x_j at pixel p'), which is the shape the dual maps vectorize over.
///
/// For the ABReLU family the maps take det = q_i·q_j − Σ², formed here as (r − Σ)(r + Σ) with
/// r = √(q_i q_j). Unlike the fully connected recursion, det is not carried through the layers (a
/// convolution averages covariances over filter taps, so det has no closed-form update); the
/// spatial diagonal of a symmetric call is exact all the same, because the engine replaces it by
/// the diagonal maps of the per-point variances.
struct ConvolutionalDualMaps: Sendable {
    let dual: DualActivation

    init(_ activation: Activation, quadrature: QuadratureRule) {
        dual = DualActivation(activation, quadrature: quadrature)
    }

    /// Σ̂ and Σ̇ of `count` pairs; `determinant` is scratch space for `count` values.
    func pairs(count: Int, qi: Double, rootQi: Double, qj: UnsafePointer<Double>, rootQj: UnsafePointer<Double>,
               sigma: UnsafePointer<Double>, determinant: UnsafeMutablePointer<Double>,
               sigmaHat: UnsafeMutablePointer<Double>, sigmaDot: UnsafeMutablePointer<Double>) {
        if dual.carriesDeterminant { ntkb_pair_determinant(count, rootQi, rootQj, sigma, determinant) }
        dual.pairs(count: count, qi: qi, rootQi: rootQi, qj: qj, rootQj: rootQj, sigma: sigma,
                   determinant: dual.carriesDeterminant ? UnsafePointer(determinant) : nil,
                   sigmaHat: sigmaHat, sigmaDot: sigmaDot, nextDeterminant: nil,
                   weightVariance: 0, biasVariance: 0)
    }

    /// Σ̂(x, x) and Σ̇(x, x) of pixels of variances q (the pair maps at Σ = q, det = 0).
    func diagonals(_ q: [Double]) -> (hat: [Double], dot: [Double]) { dual.diagonals(q) }
}
