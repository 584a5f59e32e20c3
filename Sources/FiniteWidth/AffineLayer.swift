import InfiniteWidth
import LinearAlgebra

/// One affine map of the network, z = a·W·h + β·b, and where its parameters lie in the flat
/// parameter buffer.
///
/// W (fanOut × fanIn, row-major) starts at `offset` and is followed by b (fanOut entries). The
/// multipliers and the initial distribution depend on the parameterization (theory.md §1):
///
///     NTK:       a = σ_w/√fanIn,  β = σ_b,   W, b ~ N(0, 1)
///     standard:  a = 1,           β = 1,     W ~ N(0, σ_w²/fanIn),  b ~ N(0, σ_b²)
///
/// In standard parameterization the bias is trainable even when σ_b = 0; it then starts at 0.
public struct AffineLayer: Sendable, Equatable {
    public let fanIn: Int
    public let fanOut: Int
    /// Where W starts in the parameter buffer.
    public let offset: Int
    /// a, the factor in front of W.
    public let weightMultiplier: Double
    /// β, the factor in front of b.
    public let biasMultiplier: Double
    /// The standard deviation of W's entries at initialisation.
    public let initialWeightStd: Double
    /// The standard deviation of b's entries at initialisation.
    public let initialBiasStd: Double

    /// Builds the layer for weight and bias standard deviations σ_w, σ_b.
    init(fanIn: Int, fanOut: Int, offset: Int, weightStd: Double, biasStd: Double,
         parameterization: Parameterization) {
        self.fanIn = fanIn
        self.fanOut = fanOut
        self.offset = offset
        let scaledWeightStd = weightStd / Double(fanIn).squareRoot()
        switch parameterization {
        case .ntk:
            (weightMultiplier, biasMultiplier) = (scaledWeightStd, biasStd)
            (initialWeightStd, initialBiasStd) = (1, 1)
        case .standard:
            (weightMultiplier, biasMultiplier) = (1, 1)
            (initialWeightStd, initialBiasStd) = (scaledWeightStd, biasStd)
        }
    }

    private init(relocating layer: AffineLayer, to offset: Int) {
        fanIn = layer.fanIn
        fanOut = layer.fanOut
        self.offset = offset
        weightMultiplier = layer.weightMultiplier
        biasMultiplier = layer.biasMultiplier
        initialWeightStd = layer.initialWeightStd
        initialBiasStd = layer.initialBiasStd
    }

    /// The same layer with its parameters at another offset (0 for a head kept in its own array).
    func relocated(to offset: Int) -> AffineLayer { AffineLayer(relocating: self, to: offset) }

    /// The positions of W in the parameter buffer.
    public var weights: Range<Int> { offset..<(offset + fanIn * fanOut) }
    /// The positions of b in the parameter buffer.
    public var biases: Range<Int> { weights.upperBound..<(weights.upperBound + fanOut) }
    /// The positions of all of this layer's parameters.
    public var parameters: Range<Int> { offset..<biases.upperBound }
    public var parameterCount: Int { fanOut * (fanIn + 1) }

    /// c_l = a²: the weight of ⟨h^{l−1}(x), h^{l−1}(x')⟩ in this layer's share of the tangent
    /// kernel, c_l·⟨h^{l−1}(x), h^{l−1}(x')⟩ + β_l (σ_w²/fanIn in NTK parameterization, 1 in standard).
    public var kernelWeightScale: Double { weightMultiplier * weightMultiplier }
    /// β_l = β²: the constant in this layer's share of the tangent kernel (σ_b² or 1).
    public var kernelBiasShift: Double { biasMultiplier * biasMultiplier }

    /// Draws W, then b, row after row from `generator` into `buffer` (at this layer's offset).
    func drawParameters(into buffer: UnsafeMutableBufferPointer<Double>, using generator: inout SeededGenerator) {
        for i in weights { buffer[i] = initialWeightStd * generator.normal() }
        for i in biases { buffer[i] = initialBiasStd == 0 ? 0 : initialBiasStd * generator.normal() }
    }
}
