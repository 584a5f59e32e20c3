import LinearAlgebra

/// The body of a finite network as a feature map read by a linear head (theory.md §7): θ ↦ H_θ(X),
/// n × F for the n points in the rows of X, and its vector–Jacobian product
///
///     bodyGradient(G, X) = Σ_{i,j} G_ij · ∂H_θ(X)_ij/∂θ_body = J_bodyᵀ·vec(G),
///
/// the gradient with respect to the body's parameters of any loss whose gradient with respect to
/// the features is G (n × F). The head is f(x) = (σ_w,out/√F)·W·H_θ(x) + σ_b,out·b in both kinds
/// of network, so the head-only parts of the trainers (ANIL's inner loop, MTL's heads) depend on
/// the body through H and this product alone.
///
/// `FullyConnectedNetwork` (H = h^L, F = h) and `ConvolutionalNetwork` (H = the flattened or
/// pooled last activations, F = H·W·c or c) implement it. The body's parameters come first in
/// `parameters`, at `bodyParameters`, and the gradient is indexed like them.
public protocol BodyFeatureMap: Sendable {
    /// θ, the flat parameter buffer (body first, then the head).
    var parameters: [Double] { get set }
    /// The positions of the body's parameters in `parameters` (0 ..< count).
    var bodyParameters: Range<Int> { get }
    /// F, the number of features the head reads.
    var featureCount: Int { get }
    /// H_θ(X), n × F.
    func features(_ x: Matrix) throws -> Matrix
    /// J_bodyᵀ·vec(G) for a feature gradient G (n × F), with `bodyParameters.count` entries.
    func bodyGradient(featureGradient: Matrix, inputs x: Matrix) throws -> [Double]
}

extension FullyConnectedNetwork: BodyFeatureMap {
    /// F = h: the head reads the last hidden layer.
    public var featureCount: Int { width }

    /// One forward pass keeping the trace, then `bodyGradient(featureGradient:trace:)`.
    public func bodyGradient(featureGradient: Matrix, inputs x: Matrix) throws -> [Double] {
        bodyGradient(featureGradient: featureGradient, trace: try traceBody(x))
    }
}
