import LinearAlgebra

/// The readout on its own, for trainers that put several heads on one body (MTL:
/// Σ_i ½‖head_i(body(D_i)) − Y_i‖²) or adapt the head alone (ANIL).
///
/// A head is a parameter vector laid out like `headParameters`: W^{L+1} (k × F, row-major), then
/// b^{L+1} (k values); `nil` means this network's own head. Every product is one GEMM. The code
/// is shared by every `LinearHeadNetwork` (fully connected: F = h; convolutional: F = the
/// flattened or pooled features).
public protocol LinearHeadNetwork: BodyFeatureMap {
    /// The readout: an affine layer on the F features (a = σ_w,out/√F, β = σ_b,out in NTK
    /// parameterization) whose parameters, in `parameters`, are the head.
    var readout: AffineLayer { get }
}

extension FullyConnectedNetwork: LinearHeadNetwork {}

extension LinearHeadNetwork {
    /// head(H) = a·H·Wᵀ + β·1bᵀ, n × k, for features H (n × F).
    public func headOutputs(features: Matrix, head: [Double]? = nil) -> Matrix {
        withHead(head) { layer, p in layer.apply(features, parameters: p) }
    }

    /// The gradient of a loss with respect to a head's parameters, when its gradient with respect
    /// to that head's outputs is G (n × k): ∂W = a·Gᵀ·H, ∂b = β·Σ_points G. It does not depend on
    /// the head's own values, because the head is linear in them.
    public func headGradient(features: Matrix, outputGradient: Matrix) -> [Double] {
        let layer = readout.relocated(to: 0)
        var gradient = [Double](repeating: 0, count: layer.parameterCount)
        gradient.withUnsafeMutableBufferPointer { g in
            layer.addGradient(outputGradient, input: features, into: g.baseAddress!)
        }
        return gradient
    }

    /// a·G·W, n × F: the gradient with respect to the features, to hand to `bodyGradient`.
    public func featureGradient(outputGradient: Matrix, head: [Double]? = nil) -> Matrix {
        withHead(head) { layer, p in layer.pullBack(outputGradient, parameters: p) }
    }

    /// A head drawn from the readout's initial distribution (W then b, row after row).
    public func drawHead(using generator: inout SeededGenerator) -> [Double] {
        let layer = readout.relocated(to: 0)
        var head = [Double](repeating: 0, count: layer.parameterCount)
        head.withUnsafeMutableBufferPointer { layer.drawParameters(into: $0, using: &generator) }
        return head
    }

    /// Runs `body` with the readout layer and the buffer in which its offset is counted.
    private func withHead<R>(_ head: [Double]?, _ body: (AffineLayer, UnsafePointer<Double>) -> R) -> R {
        guard let head else {
            return parameters.withUnsafeBufferPointer { body(readout, $0.baseAddress!) }
        }
        let layer = readout.relocated(to: 0)
        precondition(head.count == layer.parameterCount,
                     "a head has \(layer.parameterCount) parameters, but \(head.count) were given")
        return head.withUnsafeBufferPointer { body(layer, $0.baseAddress!) }
    }
}
