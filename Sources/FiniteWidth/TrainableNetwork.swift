import FewShot
import InfiniteWidth
import LinearAlgebra
import Paradigms

/// What a forward pass through a body keeps for backpropagation: at least the features H_θ(X)
/// (n × F) that the head reads.
public protocol FeatureTrace: Sendable {
    var features: Matrix { get }
}

extension BodyTrace: FeatureTrace {}
extension ConvolutionalTrace: FeatureTrace {}

/// A finite network that the trainers (`FiniteMTLTrainer`, `FiniteGBMLTrainer`) run on: a body
/// with a linear head of k outputs (`LinearHeadNetwork`), built from an `Architecture`, with the
/// passes the trainers need on a flat parameter buffer — batched forward and backward passes,
/// the loss gradient and the exact Hessian-vector product at any parameter buffer `p` laid out
/// like `parameters` (MAML's inner loops run in scratch buffers), and the empirical kernels at
/// initialisation for the rate guards and the linearized predictor.
///
/// `FullyConnectedNetwork` (width h = units per hidden layer) and `ConvolutionalNetwork`
/// (width = channels) implement it. The trainers are generic over it, so each is specialized
/// for its network and the fully connected path runs the very same code as before.
public protocol TrainableNetwork: LinearHeadNetwork {
    associatedtype Trace: FeatureTrace

    /// The network of `width` (units or channels) and k = `outputs`, drawn from `seed`, for inputs
    /// of dimension d; refuses an architecture of the other kind and inputs it cannot read.
    init(architecture: Architecture, inputDimension: Int, width: Int, outputs: Int, seed: UInt64) throws

    var parameterCount: Int { get }
    /// The head's positions in `parameters` (the readout's W, then b; after the body).
    var headParameters: Range<Int> { get }
    /// The forward pass through the body, keeping what backpropagation needs.
    func traceBody(_ x: Matrix) throws -> Trace
    /// J_bodyᵀ·vec(G) for the feature gradient G on the traced points, `bodyParameters.count` entries.
    func bodyGradient(featureGradient: Matrix, trace: Trace) -> [Double]
    /// Adds J_bodyᵀ·vec(G) into `gradient` (indexed like `parameters`).
    func backpropagateBody(_ featureGradient: Matrix, trace: Trace, into gradient: UnsafeMutablePointer<Double>)
    /// f(X) − offset, n × k.
    func outputs(_ x: Matrix, offset: Matrix?) throws -> Matrix
    /// f(X) − offset at the parameters `p`.
    func outputs(_ x: Matrix, offset: Matrix?, at p: UnsafePointer<Double>) throws -> Matrix
    /// Adds s·∇ℓ into `gradient` and returns ℓ = ½‖f(X) − offset − Y‖², both at `p`; `gradient`
    /// may be `p` itself (an in-place gradient step).
    func addLossGradient(_ x: Matrix, targets: Matrix, offset: Matrix?, at p: UnsafePointer<Double>, scale: Double,
                         into gradient: UnsafeMutablePointer<Double>) throws -> Double
    /// Adds s·H·v into `product`, H the Hessian of ½‖f(X) − offset − Y‖² at `p` (no aliasing).
    func addHessianVectorProduct(_ x: Matrix, targets: Matrix, offset: Matrix?, at p: UnsafePointer<Double>,
                                 direction v: UnsafePointer<Double>, scale: Double,
                                 into product: UnsafeMutablePointer<Double>) throws
    /// Θ̂, K̂ and Θ̂ − K̂ (output unit 0) on every stacked point of a task set.
    func empiricalTaskKernels(_ points: StackedPoints) throws -> TaskKernels
    /// The multiply-adds of one point's forward pass (6 FLOPs each for a forward-and-backward pass).
    var weightCount: Int { get }
}

extension FullyConnectedNetwork: TrainableNetwork {}

extension ConvolutionalNetwork: TrainableNetwork {
    /// The network of `width` channels, for images of `inputDimension` = H·W·C values.
    public init(architecture: Architecture, inputDimension: Int, width: Int, outputs: Int, seed: UInt64) throws {
        guard let convolution = architecture.convolution else { throw FiniteWidthError.fullyConnectedArchitecture }
        try convolution.validate(inputDimension: inputDimension, set: "the task set's inputs")
        try self.init(architecture: architecture, channels: width, outputs: outputs, seed: seed)
    }

    public func bodyGradient(featureGradient: Matrix, trace: ConvolutionalTrace) -> [Double] {
        precondition(featureGradient.rows == trace.features.rows && featureGradient.columns == featureCount,
                     "the feature gradient must be \(trace.features.rows)×\(featureCount)")
        var gradient = [Double](repeating: 0, count: bodyParameters.count)
        gradient.withUnsafeMutableBufferPointer { backpropagateBody(featureGradient, trace: trace, into: $0.baseAddress!) }
        return gradient
    }
}

extension TrainableNetwork {
    /// The same network with other parameters (nil: unchanged); refuses a vector of the wrong
    /// length.
    func replacingParameters(_ parameters: [Double]?) throws -> Self {
        guard let parameters else { return self }
        guard parameters.count == parameterCount else {
            throw FiniteWidthError.parameterCountMismatch(expected: parameterCount, found: parameters.count)
        }
        var copy = self
        copy.parameters = parameters
        return copy
    }
}

extension TrainableNetwork {
    /// H·v, the Hessian of ½‖f(X) − offset − Y‖² with respect to all parameters times v (indexed
    /// like `parameters`), at the network's own parameters: `addHessianVectorProduct` into zeros.
    public func hessianVectorProduct(_ x: Matrix, targets: Matrix, direction: [Double],
                                     offset: Matrix? = nil) throws -> [Double] {
        guard direction.count == parameterCount else {
            throw FiniteWidthError.parameterCountMismatch(expected: parameterCount, found: direction.count)
        }
        var product = [Double](repeating: 0, count: parameterCount)
        try parameters.withUnsafeBufferPointer { p in
            try direction.withUnsafeBufferPointer { v in
                try product.withUnsafeMutableBufferPointer { out in
                    try addHessianVectorProduct(x, targets: targets, offset: offset, at: p.baseAddress!,
                                                direction: v.baseAddress!, scale: 1, into: out.baseAddress!)
                }
            }
        }
        return product
    }
}
