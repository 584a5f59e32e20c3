import LinearAlgebra

/// The value and gradient of a sum loss at the network's parameters.
public struct LossGradient: Sendable {
    /// ½‖f(X) − offset − Y‖² (a sum over points and outputs, not a mean).
    public let loss: Double
    /// Its gradient with respect to every parameter, indexed like `parameters`.
    public let gradient: [Double]
}

/// The sum loss of theory.md §8, ½‖f(X) − offset − Y‖², with f's outputs optionally centered by
/// an offset (f_θ₀(X) for the centered outputs of §7; the offset does not depend on θ, so it
/// only shifts the residual).
extension FullyConnectedNetwork {
    /// ½‖f(X) − offset − Y‖².
    public func loss(_ x: Matrix, targets: Matrix, offset: Matrix? = nil) throws -> Double {
        try validateOutputShape(targets, name: "the labels Y", points: x.rows)
        return Entrywise.halfSquaredNorm(try outputs(x, offset: offset) - targets)
    }

    /// ½‖f(X) − offset − Y‖² and its exact gradient (one forward and one backward pass).
    public func lossGradient(_ x: Matrix, targets: Matrix, offset: Matrix? = nil) throws -> LossGradient {
        let trace = try self.trace(x)
        let r = try residual(trace, targets: targets, offset: offset)
        return LossGradient(loss: Entrywise.halfSquaredNorm(r), gradient: parameterGradient(outputGradient: r, trace: trace))
    }

    /// f(X) − offset − Y, the gradient of the sum loss with respect to the outputs.
    func residual(_ trace: ForwardTrace, targets: Matrix, offset: Matrix?) throws -> Matrix {
        let n = trace.body.pointCount
        try validateOutputShape(targets, name: "the labels Y", points: n)
        guard let offset else { return trace.outputs - targets }
        try validateOutputShape(offset, name: "the output offset", points: n)
        return trace.outputs - offset - targets
    }
}

/// Centered outputs (theory.md §7): f_θ(x) − f_θ₀(x), zero at initialisation, with the same
/// tangent kernel as f_θ. It keeps the initial network θ₀ and computes the offset f_θ₀(X) for
/// any input set; pass it as `offset` to `outputs`, `loss`, `lossGradient` and
/// `hessianVectorProduct` (compute it once per input set and reuse it while training).
public struct OutputCentering: Sendable {
    public let initialNetwork: FullyConnectedNetwork

    /// Centering around the network as it is now (call it at initialisation).
    public init(initial network: FullyConnectedNetwork) {
        initialNetwork = network
    }

    /// f_θ₀(X), n × k.
    public func offset(_ x: Matrix) throws -> Matrix { try initialNetwork.outputs(x) }
}

extension FullyConnectedNetwork {
    /// f(X) − offset at the parameters `p` (a buffer laid out like `parameters`).
    public func outputs(_ x: Matrix, offset: Matrix?, at p: UnsafePointer<Double>) throws -> Matrix {
        try validateInputs(x, name: "X")
        var f = readout.apply(traceBody(x, at: p).features, parameters: p)
        if let offset {
            try validateOutputShape(offset, name: "the output offset", points: x.rows)
            ParameterArithmetic.addScaled(offset, -1, to: &f)
        }
        return f
    }

    /// Adds s·∇ℓ into `gradient` and returns ℓ = ½‖f(X) − offset − Y‖², both at the parameters
    /// `p`: one forward and one backward pass, with no parameter-sized allocation. Every layer's
    /// weights are read (pulled back through) before its gradient is written, so `gradient` may
    /// be `p` itself: with s = −λ that is the gradient step θ ← θ − λ·∇ℓ(θ) in place.
    public func addLossGradient(_ x: Matrix, targets: Matrix, offset: Matrix?, at p: UnsafePointer<Double>, scale: Double,
                         into gradient: UnsafeMutablePointer<Double>) throws -> Double {
        try validateInputs(x, name: "X")
        let body = traceBody(x, at: p)
        let trace = ForwardTrace(body: body, outputs: readout.apply(body.features, parameters: p))
        let r = try residual(trace, targets: targets, offset: offset)
        let featureGradient = readout.pullBack(r, parameters: p)
        readout.addGradient(r, input: body.features, into: gradient, scale: scale)
        backpropagateBody(featureGradient, trace: body, at: p, scale: scale, into: gradient)
        return Entrywise.halfSquaredNorm(r)
    }
}
