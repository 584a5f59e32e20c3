import LinearAlgebra

/// The empirical tangent kernels of a finite network between two input sets X1 (rows) and X2
/// (columns), for one output unit (theory.md §7):
///
///     ntk  = Θ̂(x, x') = ⟨∇_θ f(x), ∇_θ f(x')⟩ = J·Jᵀ          (all parameters)
///     head = K̂(x, x') = c_{L+1}·⟨h^L(x), h^L(x')⟩ + β_{L+1}     (the readout's parameters alone)
///     body = Θ̂ − K̂                                          (the hidden layers' parameters)
///
/// At initialisation they approach the analytic Θ, K and Θ_body of `KernelRecursion` with
/// relative error O(1/√h). K̂ is the same for every output unit; Θ̂ and the body kernel depend on
/// the unit through W^{L+1}'s row (at initialisation all units have the same limit).
public struct EmpiricalKernels: Sendable {
    public let ntk: Matrix
    public let head: Matrix
    public let body: Matrix
    /// The output unit whose kernel this is.
    public let outputIndex: Int
}

/// The layer-wise formula for an MLP's tangent kernel, which never forms J: for a scalar output
/// unit f,
///
///     Θ̂(x, x') = Σ_{l=1}^{L+1} [c_l·⟨h^{l−1}(x), h^{l−1}(x')⟩ + β_l]·⟨δ^l(x), δ^l(x')⟩
///
/// with h⁰ = x, δ^l = ∂f/∂z^l (δ^{L+1} = 1), and (c_l, β_l) = (σ_w²/fan_in, σ_b²) in NTK
/// parameterization, (1, 1) in standard (`AffineLayer.kernelWeightScale`, `kernelBiasShift`).
/// Each layer costs two GEMMs (Gram matrices of h^{l−1} and of δ^l) and one entrywise pass; a
/// symmetric call (X2 omitted) uses `dsyrk` and comes out exactly symmetric.
extension FullyConnectedNetwork {
    /// Θ̂, K̂ and Θ̂ − K̂ of output unit `outputIndex` between the rows of `x1` and of `x2`
    /// (of `x1` with itself when `x2` is nil).
    public func empiricalKernels(_ x1: Matrix, _ x2: Matrix? = nil, outputIndex: Int = 0) throws -> EmpiricalKernels {
        guard (0..<outputCount).contains(outputIndex) else {
            throw FiniteWidthError.outputIndexOutOfRange(index: outputIndex, outputs: outputCount)
        }
        try validateInputs(x1, name: "X1")
        if let x2 { try validateInputs(x2, name: "X2") }
        let trace1 = try traceBody(x1)
        let trace2 = try x2.map(traceBody)
        let deltas1 = sensitivities(trace1, outputIndex: outputIndex)
        let deltas2 = trace2.map { sensitivities($0, outputIndex: outputIndex) }

        var body = Matrix(rows: x1.rows, columns: x2?.rows ?? x1.rows)
        for index in hiddenLayers.indices {
            let inputs = layerGram(trace1.activations[index], trace2?.activations[index], layers[index])
            let deltas = gram(deltas1[index], deltas2?[index], scale: 1)
            Entrywise.addProduct(&body, inputs, deltas)
        }
        let head = layerGram(trace1.features, trace2?.features, readout)
        return EmpiricalKernels(ntk: body + head, head: head, body: body, outputIndex: outputIndex)
    }

    /// Θ̂ of output unit `outputIndex` (see `empiricalKernels`).
    public func empiricalNTK(_ x1: Matrix, _ x2: Matrix? = nil, outputIndex: Int = 0) throws -> Matrix {
        try empiricalKernels(x1, x2, outputIndex: outputIndex).ntk
    }

    /// K̂(x, x') = c_{L+1}·⟨h^L(x), h^L(x')⟩ + β_{L+1}: the head kernel, from the features alone.
    public func headKernel(_ x1: Matrix, _ x2: Matrix? = nil) throws -> Matrix {
        try validateInputs(x1, name: "X1")
        if let x2 { try validateInputs(x2, name: "X2") }
        return try layerGram(features(x1), x2.map(features), readout)
    }

    /// 𝒦̂(x, x') = a²·s_W²·⟨h^L(x), h^L(x')⟩ + β²·s_b²: the covariance of the readout's output
    /// over its initial draw given these features, i.e. σ_w,out²/h·⟨h^L(x), h^L(x')⟩ + σ_b,out² in
    /// both parameterizations — the empirical NNGP kernel, which approaches 𝒦 with relative error
    /// O(1/√h). (In NTK parameterization it equals K̂.)
    public func empiricalNNGP(_ x1: Matrix, _ x2: Matrix? = nil) throws -> Matrix {
        try validateInputs(x1, name: "X1")
        if let x2 { try validateInputs(x2, name: "X2") }
        let r = readout
        var k = gram(try features(x1), try x2.map(features),
                     scale: r.kernelWeightScale * r.initialWeightStd * r.initialWeightStd)
        Entrywise.add(r.kernelBiasShift * r.initialBiasStd * r.initialBiasStd, to: &k)
        return k
    }

    /// δ^l = ∂f_o/∂z^l for l = 1 … L (index l − 1), n × h each: backpropagation from the
    /// feature gradient a_{L+1}·W^{L+1}[o, :] of output unit o.
    func sensitivities(_ trace: BodyTrace, outputIndex: Int) -> [Matrix] {
        var unit = Matrix(rows: trace.pointCount, columns: outputCount)
        for i in 0..<trace.pointCount { unit[i, outputIndex] = 1 }
        var deltas = [Matrix](repeating: Matrix(rows: 0, columns: 0), count: depth)
        forEachBodyDelta(featureGradient: featureGradient(outputGradient: unit), trace: trace) { index, delta in
            deltas[index] = delta
        }
        return deltas
    }

    /// c·H1·H2ᵀ + β for a layer's inputs: that layer's weight-and-bias factor of the kernel.
    private func layerGram(_ h1: Matrix, _ h2: Matrix?, _ layer: AffineLayer) -> Matrix {
        var g = gram(h1, h2, scale: layer.kernelWeightScale)
        Entrywise.add(layer.kernelBiasShift, to: &g)
        return g
    }

    /// s·A·Bᵀ, or the exactly symmetric s·A·Aᵀ when B is nil.
    private func gram(_ a: Matrix, _ b: Matrix?, scale: Double) -> Matrix {
        guard let b else { return Matrix.gram(a, alpha: scale) }
        return Matrix.product(a, b, transposeB: true, alpha: scale)
    }
}
