import InfiniteWidth
import LinearAlgebra

/// What a forward pass of n images through the convolutional body keeps for backpropagation.
/// Every matrix stacks the images' pixels: row i·H·W + p is pixel p of image i.
public struct ConvolutionalTrace: Sendable {
    /// P(h⁰) … P(h^{L−1}), n·H·W × Kh·Kw·C_{l−1}.
    let patches: [Matrix]
    /// Z¹ … Z^L, n·H·W × c.
    let preactivations: [Matrix]
    /// φ'(Z¹) … φ'(Z^L).
    let slopes: [Matrix]
    /// r(h^L), n × F: the features the readout reads.
    public let features: Matrix
}

/// Forward and reverse mode through the convolutional network on a batch, one GEMM per patch
/// product:
///
///     D^l = G^l ⊙ φ'(Z^l),   ∂W^l = a_l·P^lᵀ·D^l,   ∂b^l = β_l·Σ_rows D^l,   G^{l−1} = Pᵀ-scatter(a_l·D^l·W^lᵀ)
///
/// starting from G^L = rᵀ(feature gradient) (the identity reshaped for a flatten readout, the
/// gradient spread evenly over the pixels for global average pooling).
extension ConvolutionalNetwork {
    /// The forward pass through the body at the parameters `p` (X validated).
    func traceBody(_ x: Matrix, at p: UnsafePointer<Double>) -> ConvolutionalTrace {
        var h = Matrix(rows: x.rows * convolution.pixels, columns: convolution.channels, elements: x.elements)
        var patches: [Matrix] = [], preactivations: [Matrix] = [], slopes: [Matrix] = []
        for layer in hiddenLayers {
            let patch = ImagePatches.extract(h, convolution)
            let z = layer.apply(patch, parameters: p)
            let (values, slope) = elementwise.valuesAndSlopes(z)
            patches.append(patch)
            preactivations.append(z)
            slopes.append(slope)
            h = values
        }
        return ConvolutionalTrace(patches: patches, preactivations: preactivations, slopes: slopes,
                                  features: readoutFeatures(h, images: x.rows))
    }

    /// The forward pass through the body, keeping what backpropagation needs.
    public func traceBody(_ x: Matrix) throws -> ConvolutionalTrace {
        try validateInputs(x, name: "X")
        return parameters.withUnsafeBufferPointer { traceBody(x, at: $0.baseAddress!) }
    }

    /// r(h^L) for stacked activations (n·H·W × c): n × H·W·c (the same buffer) or the pixel means.
    func readoutFeatures(_ h: Matrix, images n: Int) -> Matrix {
        guard convolution.readout == .globalAveragePool else {
            return Matrix(rows: n, columns: h.columns * convolution.pixels, elements: h.elements)
        }
        let (pixels, c) = (convolution.pixels, h.columns)
        var result = Matrix(rows: n, columns: c)
        h.withUnsafeBufferPointer { hp in
            result.withUnsafeMutableBufferPointer { r in
                for i in 0..<n {
                    for q in 0..<pixels {
                        for k in 0..<c { r[i * c + k] += hp[(i * pixels + q) * c + k] }
                    }
                    for k in 0..<c { r[i * c + k] /= Double(pixels) }
                }
            }
        }
        return result
    }

    /// rᵀ(G): a feature gradient (n × F) as a gradient on the stacked last activations.
    func featureAdjoint(_ g: Matrix) -> Matrix {
        let (pixels, c) = (convolution.pixels, channels)
        guard convolution.readout == .globalAveragePool else {
            return Matrix(rows: g.rows * pixels, columns: c, elements: g.elements)
        }
        var result = Matrix(rows: g.rows * pixels, columns: c)
        g.withUnsafeBufferPointer { gp in
            result.withUnsafeMutableBufferPointer { r in
                for i in 0..<g.rows {
                    for q in 0..<pixels {
                        for k in 0..<c { r[(i * pixels + q) * c + k] = gp[i * c + k] / Double(pixels) }
                    }
                }
            }
        }
        return result
    }

    /// Adds s times the body's parameter gradients at the parameters `p` into `gradient`, for the
    /// gradient G (n × F) of a loss with respect to the features. Each W^l is read (pulled back
    /// through) before its gradient is written, so `gradient` may be `p` itself.
    func backpropagateBody(_ featureGradient: Matrix, trace: ConvolutionalTrace, at p: UnsafePointer<Double>,
                           scale: Double, into gradient: UnsafeMutablePointer<Double>) {
        var delta = featureAdjoint(featureGradient)
        for l in hiddenLayers.indices.reversed() {
            let layer = hiddenLayers[l]
            Entrywise.multiply(&delta, by: trace.slopes[l])
            let pulled = l > 0 ? ImagePatches.scatter(layer.pullBack(delta, parameters: p), convolution, channels: channels) : nil
            layer.addGradient(delta, patches: trace.patches[l], into: gradient, scale: scale)
            if let pulled { delta = pulled }
        }
    }

    /// Adds the body's parameter gradients into `gradient` (indexed like `parameters`).
    public func backpropagateBody(_ featureGradient: Matrix, trace: ConvolutionalTrace,
                                  into gradient: UnsafeMutablePointer<Double>) {
        parameters.withUnsafeBufferPointer { backpropagateBody(featureGradient, trace: trace, at: $0.baseAddress!, scale: 1, into: gradient) }
    }

    /// f(X) − offset, n × k.
    public func outputs(_ x: Matrix, offset: Matrix? = nil) throws -> Matrix {
        try parameters.withUnsafeBufferPointer { try outputs(x, offset: offset, at: $0.baseAddress!) }
    }

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
    /// `p` (`gradient` may be `p` itself: the whole forward pass runs first, and each layer's
    /// weights are read before its gradient is written).
    public func addLossGradient(_ x: Matrix, targets: Matrix, offset: Matrix?, at p: UnsafePointer<Double>,
                                scale: Double, into gradient: UnsafeMutablePointer<Double>) throws -> Double {
        try validateInputs(x, name: "X")
        let trace = traceBody(x, at: p)
        let r = try residual(readout.apply(trace.features, parameters: p), targets: targets, offset: offset)
        let featureGradient = readout.pullBack(r, parameters: p)
        readout.addGradient(r, input: trace.features, into: gradient, scale: scale)
        backpropagateBody(featureGradient, trace: trace, at: p, scale: scale, into: gradient)
        return Entrywise.halfSquaredNorm(r)
    }

    /// ½‖f(X) − offset − Y‖² and its exact gradient.
    public func lossGradient(_ x: Matrix, targets: Matrix, offset: Matrix? = nil) throws -> LossGradient {
        var gradient = [Double](repeating: 0, count: parameterCount)
        let loss = try parameters.withUnsafeBufferPointer { p in
            try gradient.withUnsafeMutableBufferPointer { g in
                try addLossGradient(x, targets: targets, offset: offset, at: p.baseAddress!, scale: 1, into: g.baseAddress!)
            }
        }
        return LossGradient(loss: loss, gradient: gradient)
    }

    /// f(X) − offset − Y for outputs f(X).
    func residual(_ outputs: Matrix, targets: Matrix, offset: Matrix?) throws -> Matrix {
        try validateOutputShape(targets, name: "the labels Y", points: outputs.rows)
        var r = outputs - targets
        if let offset {
            try validateOutputShape(offset, name: "the output offset", points: outputs.rows)
            ParameterArithmetic.addScaled(offset, -1, to: &r)
        }
        return r
    }
}

extension ConvolutionalNetwork: LinearHeadNetwork {
    /// The hidden layers' parameters (they come first; the readout's W_out and b_out follow).
    public var bodyParameters: Range<Int> { 0..<readout.offset }
    /// The readout's parameters: W_out (k × F), then b_out.
    public var headParameters: Range<Int> { readout.parameters }
    /// F: H·W·c with a flatten readout, c with global average pooling.
    public var featureCount: Int { readout.fanIn }

    /// r(h^L(x)) for each row of `x`, n × F: the features the readout reads.
    public func features(_ x: Matrix) throws -> Matrix { try traceBody(x).features }

    /// J_bodyᵀ·vec(G): one backward pass of the batch.
    public func bodyGradient(featureGradient: Matrix, inputs x: Matrix) throws -> [Double] {
        precondition(featureGradient.rows == x.rows && featureGradient.columns == featureCount,
                     "the feature gradient must be \(x.rows)×\(featureCount)")
        let trace = try traceBody(x)
        var gradient = [Double](repeating: 0, count: bodyParameters.count)
        gradient.withUnsafeMutableBufferPointer { backpropagateBody(featureGradient, trace: trace, into: $0.baseAddress!) }
        return gradient
    }
}

/// The patch matrix of stacked images (rows: the pixels of image 0, then image 1, …) and its
/// adjoint.
enum ImagePatches {
    /// For each pixel p and filter tap t (tap-major), the pixel read, or −1 beyond a SAME border.
    static func sources(_ convolution: Convolution) -> [Int] {
        let (h, w) = (convolution.imageHeight, convolution.imageWidth)
        var table: [Int] = []
        table.reserveCapacity(convolution.pixels * convolution.filterSize)
        for p in 0..<convolution.pixels {
            for ty in 0..<convolution.filterHeight {
                for tx in 0..<convolution.filterWidth {
                    var y = p / w + ty - convolution.filterHeight / 2, x = p % w + tx - convolution.filterWidth / 2
                    switch convolution.padding {
                    case .same:
                        guard (0..<h).contains(y), (0..<w).contains(x) else { table.append(-1); continue }
                    case .circular:
                        y = (y % h + h) % h
                        x = (x % w + w) % w
                    }
                    table.append(y * w + x)
                }
            }
        }
        return table
    }

    /// P(h): row p of each image holds the taps around pixel p, tap-major then channel.
    static func extract(_ h: Matrix, _ convolution: Convolution) -> Matrix {
        let (c, taps, pixels) = (h.columns, convolution.filterSize, convolution.pixels)
        let table = sources(convolution), images = h.rows / pixels
        var patches = Matrix(rows: h.rows, columns: taps * c)
        h.withUnsafeBufferPointer { hp in
            patches.withUnsafeMutableBufferPointer { out in
                for i in 0..<images {
                    for p in 0..<pixels {
                        let row = out.baseAddress! + (i * pixels + p) * taps * c
                        for t in 0..<taps {
                            let q = table[p * taps + t]
                            guard q >= 0 else { continue }
                            let source = hp.baseAddress! + (i * pixels + q) * c
                            for k in 0..<c { row[t * c + k] = source[k] }
                        }
                    }
                }
            }
        }
        return patches
    }

    /// The adjoint of `extract`: adds each patch entry back onto the pixel it was read from.
    static func scatter(_ patches: Matrix, _ convolution: Convolution, channels c: Int) -> Matrix {
        let (taps, pixels) = (convolution.filterSize, convolution.pixels)
        let table = sources(convolution)
        var h = Matrix(rows: patches.rows, columns: c)
        patches.withUnsafeBufferPointer { pp in
            h.withUnsafeMutableBufferPointer { out in
                for i in 0..<(patches.rows / pixels) {
                    for p in 0..<pixels {
                        let row = pp.baseAddress! + (i * pixels + p) * taps * c
                        for t in 0..<taps {
                            let q = table[p * taps + t]
                            guard q >= 0 else { continue }
                            let target = out.baseAddress! + (i * pixels + q) * c
                            for k in 0..<c { target[k] += row[t * c + k] }
                        }
                    }
                }
            }
        }
        return h
    }
}
