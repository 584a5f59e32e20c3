import LinearAlgebra

/// What a forward pass through the body keeps for backpropagation, for a batch of n points:
/// the activations H⁰ = X, H¹ … H^L, the pre-activations Z¹ … Z^L and the slopes φ'(Z^l).
public struct BodyTrace: Sendable {
    /// H⁰ = X, H¹ … H^L.
    let activations: [Matrix]
    /// Z¹ … Z^L.
    let preactivations: [Matrix]
    /// φ'(Z¹) … φ'(Z^L).
    let slopes: [Matrix]

    /// X, n × d.
    public var inputs: Matrix { activations[0] }
    /// H^L(X), n × h: the features the head reads.
    public var features: Matrix { activations[activations.count - 1] }
    /// n.
    public var pointCount: Int { inputs.rows }
}

/// A forward pass through the whole network: the body's trace and the outputs f(X).
public struct ForwardTrace: Sendable {
    public let body: BodyTrace
    /// f(X), n × k (not centered: an output offset is applied by the losses).
    public let outputs: Matrix
}

extension FullyConnectedNetwork {
    /// f(X) − offset, n × k, for the n points in the rows of X. With `offset` = f_θ₀(X), the
    /// outputs of the network at initialisation, these are the centered outputs
    /// f_θ(x) − f_θ₀(x) of theory.md §7 (see `OutputCentering`).
    public func outputs(_ x: Matrix, offset: Matrix? = nil) throws -> Matrix {
        var f = try headOutputs(features: features(x), head: nil)
        if let offset {
            try validateOutputShape(offset, name: "the output offset", points: x.rows)
            f = f - offset
        }
        return f
    }

    /// H^L(X), n × h: the body's features, which the head reads.
    public func features(_ x: Matrix) throws -> Matrix {
        try validateInputs(x, name: "X")
        return parameters.withUnsafeBufferPointer { p in
            var h = x
            for layer in hiddenLayers {
                h = layer.apply(h, parameters: p.baseAddress!)
                elementwise.apply(to: &h)
            }
            return h
        }
    }

    /// The forward pass through the body, keeping what backpropagation needs.
    public func traceBody(_ x: Matrix) throws -> BodyTrace {
        try validateInputs(x, name: "X")
        return parameters.withUnsafeBufferPointer { traceBody(x, at: $0.baseAddress!) }
    }

    /// `traceBody` at the parameters `p` (a buffer laid out like `parameters`; X validated).
    func traceBody(_ x: Matrix, at p: UnsafePointer<Double>) -> BodyTrace {
        var activations = [x], preactivations: [Matrix] = [], slopes: [Matrix] = []
        for layer in hiddenLayers {
            let z = layer.apply(activations[activations.count - 1], parameters: p)
            let (h, s) = elementwise.valuesAndSlopes(z)
            preactivations.append(z)
            activations.append(h)
            slopes.append(s)
        }
        return BodyTrace(activations: activations, preactivations: preactivations, slopes: slopes)
    }

    /// The forward pass through the whole network, keeping what backpropagation needs.
    public func trace(_ x: Matrix) throws -> ForwardTrace {
        let body = try traceBody(x)
        return ForwardTrace(body: body, outputs: headOutputs(features: body.features, head: nil))
    }

    /// Refuses an input set that is empty or of the wrong dimension; `name` says which set.
    func validateInputs(_ x: Matrix, name: String) throws {
        guard x.rows > 0 else { throw FiniteWidthError.noPoints(set: name) }
        guard x.columns == inputDimension else {
            throw FiniteWidthError.inputDimensionMismatch(set: name, expected: inputDimension, found: x.columns)
        }
    }

    /// Refuses a label or offset matrix that is not `points × k`.
    func validateOutputShape(_ m: Matrix, name: String, points: Int) throws {
        guard m.rows == points, m.columns == outputCount else {
            throw FiniteWidthError.shapeMismatch(matrix: name, expectedRows: points, expectedColumns: outputCount,
                                                 rows: m.rows, columns: m.columns)
        }
    }
}
