import InfiniteWidth
import LinearAlgebra

/// The `FiniteWidth` module implements theory.md §7: the networks of §1 at a finite width h,
/// written by hand on BLAS (no automatic differentiation). A `FullyConnectedNetwork` has the
/// batched forward pass, the exact gradient and Hessian-vector products of the sum loss
/// ½‖f(X) − Y‖², the body/head split that MTL and ANIL trainers need, centered outputs, and the
/// empirical kernels Θ̂ = J·Jᵀ and K̂ computed layer by layer without forming J.
///
/// Conventions (theory.md §8): losses are sums, not means; the NTK parameterization is the
/// default; rows of an input matrix are points; outputs are n × k.

/// A fully connected network of depth L (L hidden layers of width h) with a linear readout
/// ("head") of k outputs, described by the same `Architecture` as its infinite-width kernels:
///
///     z¹ = a₁·W¹x + β₁·b¹,   h^l = φ(z^l),   z^{l+1} = a_{l+1}·W^{l+1}h^l + β_{l+1}·b^{l+1}
///     f(x) = z^{L+1} = a_{L+1}·W^{L+1}h^L + β_{L+1}·b^{L+1}
///
/// with a_l = σ_w/√fan_in, β_l = σ_b and W, b ~ N(0, 1) in NTK parameterization (σ_w,out and
/// σ_b,out in the readout), or a_l = β_l = 1, W ~ N(0, σ_w²/fan_in), b ~ N(0, σ_b²) in standard
/// parameterization (see `AffineLayer`).
///
/// All parameters live in one flat buffer, layer after layer, W before b: the hidden layers
/// first (the body, `bodyParameters`), the readout last (the head, `headParameters`).
public struct FullyConnectedNetwork: Sendable {
    public let architecture: Architecture
    /// d, the input dimension.
    public let inputDimension: Int
    /// h, the width of every hidden layer.
    public let width: Int
    /// k, the number of outputs.
    public let outputCount: Int
    /// Layers 1 … L+1: the hidden layers, then the readout.
    public let layers: [AffineLayer]
    /// θ, the flat parameter buffer (its length never changes).
    public var parameters: [Double] {
        didSet { precondition(parameters.count == parameterCount, "the parameter buffer cannot change length") }
    }

    let elementwise: ElementwiseActivation

    /// A network initialised from `seed` alone. Layer l draws its parameters (W then b, row
    /// after row) from `SeededGenerator(seed: seed, stream: l)` for the hidden layers l = 1…L and
    /// from stream 0 for the readout, so changing one layer never shifts another's draws, and
    /// the head of a given width is the same at every depth.
    public init(architecture: Architecture, inputDimension: Int, width: Int, outputs: Int = 1, seed: UInt64) throws {
        try self.init(architecture: architecture, inputDimension: inputDimension, width: width, outputs: outputs,
                      validatedParameters: nil)
        let layers = self.layers
        parameters.withUnsafeMutableBufferPointer { buffer in
            for (index, layer) in layers.enumerated() {
                let stream = index == layers.count - 1 ? 0 : UInt64(index + 1)
                var generator = SeededGenerator(seed: seed, stream: stream)
                layer.drawParameters(into: buffer, using: &generator)
            }
        }
    }

    /// A network with the given parameters (for example saved from an earlier run).
    public init(architecture: Architecture, inputDimension: Int, width: Int, outputs: Int = 1,
                parameters: [Double]) throws {
        try self.init(architecture: architecture, inputDimension: inputDimension, width: width, outputs: outputs,
                      validatedParameters: parameters)
    }

    private init(architecture: Architecture, inputDimension: Int, width: Int, outputs: Int,
                 validatedParameters parameters: [Double]?) throws {
        guard architecture.convolution == nil else { throw FiniteWidthError.convolutionalArchitecture }
        guard width >= 1 else { throw FiniteWidthError.invalidWidth(width) }
        guard inputDimension >= 1 else { throw FiniteWidthError.invalidInputDimension(inputDimension) }
        guard outputs >= 1 else { throw FiniteWidthError.invalidOutputCount(outputs) }
        if case let .standard(hiddenWidth) = architecture.parameterization, hiddenWidth != width {
            throw FiniteWidthError.parameterizationWidthMismatch(width: width, parameterizationWidth: hiddenWidth)
        }
        let layers = Self.layout(architecture, inputDimension: inputDimension, width: width, outputs: outputs)
        let count = layers.last!.parameters.upperBound
        if let parameters, parameters.count != count {
            throw FiniteWidthError.parameterCountMismatch(expected: count, found: parameters.count)
        }
        self.architecture = architecture
        self.inputDimension = inputDimension
        self.width = width
        self.outputCount = outputs
        self.layers = layers
        self.parameters = parameters ?? [Double](repeating: 0, count: count)
        elementwise = ElementwiseActivation(activation: architecture.activation)
    }

    /// The layers' positions and scales, packed one after the other.
    private static func layout(_ architecture: Architecture, inputDimension d: Int, width h: Int,
                               outputs k: Int) -> [AffineLayer] {
        var layers: [AffineLayer] = []
        var offset = 0
        for l in 1...(architecture.depth + 1) {
            let isReadout = l == architecture.depth + 1
            let layer = AffineLayer(
                fanIn: l == 1 ? d : h, fanOut: isReadout ? k : h, offset: offset,
                weightStd: isReadout ? architecture.readoutWeightStd : architecture.weightStd,
                biasStd: isReadout ? architecture.readoutBiasStd : architecture.biasStd,
                parameterization: architecture.parameterization)
            layers.append(layer)
            offset = layer.parameters.upperBound
        }
        return layers
    }

    /// L, the number of hidden layers.
    public var depth: Int { architecture.depth }
    /// The readout (layer L+1), whose parameters are the head.
    public var readout: AffineLayer { layers[layers.count - 1] }
    /// The hidden layers 1 … L.
    public var hiddenLayers: ArraySlice<AffineLayer> { layers.dropLast() }
    public var parameterCount: Int { readout.parameters.upperBound }
    /// The positions of the hidden layers' parameters in `parameters` (they come first).
    public var bodyParameters: Range<Int> { 0..<readout.offset }
    /// The positions of the readout's parameters in `parameters` (W^{L+1}, then b^{L+1}).
    public var headParameters: Range<Int> { readout.parameters }
}
