import InfiniteWidth
import LinearAlgebra

/// A finite convolutional network of the architecture's `Convolution`, c channels in every hidden
/// layer, NTK parameterization (Neural Tangents' `stax.Conv(c, (Kh, Kw), padding,
/// parameterization='ntk')` → φ, then `Flatten()` / `GlobalAvgPool()`, then `Dense(1)`):
///
///     z^l = (σ_w/√(Kh·Kw·C_{l−1}))·P(h^{l−1})·W^l + σ_b·b^l,   h^l = φ(z^l),   h⁰ = x (H·W × C)
///     f(x) = (σ_w,out/√F)·r(h^L)·w + σ_b,out·b
///
/// where P(h) is the H·W × Kh·Kw·C matrix of patches (row p: the filter taps around pixel p, zero
/// or wrapped beyond the border), r is the flattened H·W·c activations (F = H·W·c) or their mean
/// over pixels (F = c), and every W, b ~ N(0, 1). Its empirical NTK Θ̂ = J·Jᵀ approaches the
/// CNTK of `KernelRecursion` as c grows, with fluctuations of order 1/√c.
///
/// Parameters live in one flat buffer, layer after layer, W (row-major, Kh·Kw·C_{l−1} × c)
/// before b; the readout (w, then b) last. Forward passes and gradients go one image at a time,
/// with BLAS for the patch products.
public struct ConvolutionalNetwork: Sendable {
    public let architecture: Architecture
    public let convolution: Convolution
    /// c, the number of channels of every hidden layer.
    public let channels: Int
    public var parameters: [Double]

    /// The offset of each hidden layer's W in `parameters` (its b follows it), and the readout's.
    let layerOffsets: [Int]
    let readoutOffset: Int

    public init(architecture: Architecture, channels: Int, seed: UInt64) throws {
        guard let convolution = architecture.convolution else { throw FiniteWidthError.convolutionalArchitecture }
        guard channels >= 1 else { throw FiniteWidthError.invalidWidth(channels) }
        self.architecture = architecture
        self.convolution = convolution
        self.channels = channels
        var offsets: [Int] = [], offset = 0
        for l in 1...architecture.depth {
            offsets.append(offset)
            offset += Self.patchWidth(convolution, inputChannels: l == 1 ? convolution.channels : channels) * channels + channels
        }
        layerOffsets = offsets
        readoutOffset = offset
        var parameters = [Double](repeating: 0, count: offset + Self.readoutFanIn(convolution, channels: channels) + 1)
        for l in 0...architecture.depth {
            // Hidden layer l + 1 from stream l + 1, the readout from stream 0 (as the FC network).
            var generator = SeededGenerator(seed: seed, stream: l == architecture.depth ? 0 : UInt64(l + 1))
            let range = l == architecture.depth ? readoutOffset..<parameters.count : offsets[l]..<(l + 1 < offsets.count ? offsets[l + 1] : readoutOffset)
            for k in range { parameters[k] = generator.normal() }
        }
        self.parameters = parameters
    }

    public var parameterCount: Int { parameters.count }

    static func patchWidth(_ convolution: Convolution, inputChannels: Int) -> Int {
        convolution.filterSize * inputChannels
    }

    static func readoutFanIn(_ convolution: Convolution, channels: Int) -> Int {
        convolution.readout == .flatten ? convolution.pixels * channels : channels
    }

    /// f(x) for each row of `x` (one image per row, H·W·C values, NHWC).
    public func outputs(_ x: Matrix) throws -> [Double] {
        try convolution.validate(inputDimension: x.columns, set: "inputs")
        return (0..<x.rows).map { forward(x.row($0)).output }
    }

    /// ∂f(x)/∂θ for each row of `x`: the n × P Jacobian.
    public func jacobian(_ x: Matrix) throws -> Matrix {
        try convolution.validate(inputDimension: x.columns, set: "inputs")
        var result = Matrix(rows: x.rows, columns: parameterCount)
        for i in 0..<x.rows {
            let gradient = self.gradient(x.row(i))
            result.withUnsafeMutableBufferPointer { buffer in
                for k in 0..<parameterCount { buffer[i * parameterCount + k] = gradient[k] }
            }
        }
        return result
    }

    /// The empirical kernels at the current parameters: Θ̂ = J·Jᵀ (NTK) and K̂, the readout's
    /// own part (its tangent kernel, which the NNGP 𝒦 is the limit of).
    public func empiricalKernels(_ x: Matrix) throws -> (ntk: Matrix, head: Matrix) {
        let j = try jacobian(x)
        let readout = j.block(rows: 0..<x.rows, columns: readoutOffset..<parameterCount)
        return (Matrix.gram(j), Matrix.gram(readout))
    }

    // MARK: forward and backward passes of one image

    /// The activations of one image: the patches and pre-activations of every hidden layer.
    struct Trace {
        var patches: [Matrix] = []
        var preActivations: [Matrix] = []
        var features: [Double] = []
        var output = 0.0
    }

    func forward(_ image: [Double]) -> Trace {
        var trace = Trace()
        var h = Matrix(rows: convolution.pixels, columns: convolution.channels, elements: image)
        for l in 0..<architecture.depth {
            let patches = ImagePatches.extract(h, convolution)
            let (w, b) = weights(layer: l, inputChannels: h.columns)
            var z = Matrix.product(patches, w, alpha: architecture.weightStd / Double(patches.columns).squareRoot())
            z.withUnsafeMutableBufferPointer { buffer in
                for p in 0..<convolution.pixels {
                    for c in 0..<channels { buffer[p * channels + c] += architecture.biasStd * b[c] }
                }
            }
            trace.patches.append(patches)
            trace.preActivations.append(z)
            h = Matrix(rows: z.rows, columns: z.columns, elements: z.elements.map(architecture.activation.value))
        }
        trace.features = readoutFeatures(h)
        let fanIn = Double(trace.features.count)
        var sum = 0.0
        for (k, feature) in trace.features.enumerated() { sum += feature * parameters[readoutOffset + k] }
        trace.output = architecture.readoutWeightStd / fanIn.squareRoot() * sum
            + architecture.readoutBiasStd * parameters[parameterCount - 1]
        return trace
    }

    /// r(h^L): the flattened activations, or their mean over pixels.
    private func readoutFeatures(_ h: Matrix) -> [Double] {
        guard convolution.readout == .globalAveragePool else { return h.elements }
        return (0..<channels).map { c in (0..<h.rows).reduce(0) { $0 + h[$1, c] } / Double(h.rows) }
    }

    /// W^l (Kh·Kw·C_in × c) and b^l of hidden layer l (0-based).
    private func weights(layer l: Int, inputChannels: Int) -> (Matrix, [Double]) {
        let rows = Self.patchWidth(convolution, inputChannels: inputChannels), start = layerOffsets[l]
        let w = Matrix(rows: rows, columns: channels, elements: Array(parameters[start..<(start + rows * channels)]))
        return (w, Array(parameters[(start + rows * channels)..<(start + rows * channels + channels)]))
    }

    /// ∂f(x)/∂θ of one image, by backpropagation through the patches: the readout's part, then
    /// the body's for the feature gradient ∂f/∂r = (σ_w,out/√F)·w.
    func gradient(_ image: [Double]) -> [Double] {
        let trace = forward(image)
        var gradient = [Double](repeating: 0, count: parameterCount)
        let fanIn = Double(trace.features.count), readoutScale = architecture.readoutWeightStd / fanIn.squareRoot()
        for (k, feature) in trace.features.enumerated() { gradient[readoutOffset + k] = readoutScale * feature }
        gradient[parameterCount - 1] = architecture.readoutBiasStd
        let featureGradient = parameters[readoutOffset..<(parameterCount - 1)].map { readoutScale * $0 }
        addBodyGradient(featureGradient, trace: trace, into: &gradient)
        return gradient
    }

    /// Adds J_bodyᵀ·g of one image into `gradient` (indexed like `parameters`), for the gradient g
    /// (F values) of a loss with respect to the readout features r(h^L).
    func addBodyGradient(_ featureGradient: [Double], trace: Trace, into gradient: inout [Double]) {
        // ∂/∂h^L: r is the identity (flatten) or the mean over pixels (GAP).
        var upstream = Matrix(rows: convolution.pixels, columns: channels)
        for p in 0..<convolution.pixels {
            for c in 0..<channels {
                upstream[p, c] = convolution.readout == .flatten
                    ? featureGradient[p * channels + c] : featureGradient[c] / Double(convolution.pixels)
            }
        }
        for l in stride(from: architecture.depth - 1, through: 0, by: -1) {
            let z = trace.preActivations[l], patches = trace.patches[l]
            var delta = upstream
            delta.withUnsafeMutableBufferPointer { d in
                for k in 0..<d.count { d[k] *= architecture.activation.derivative(z.elements[k]) }
            }
            let scale = architecture.weightStd / Double(patches.columns).squareRoot()
            let gradW = Matrix.product(patches, delta, transposeA: true, alpha: scale)
            let start = layerOffsets[l]
            for k in 0..<gradW.elements.count { gradient[start + k] += gradW.elements[k] }
            for c in 0..<channels {
                var sum = 0.0
                for p in 0..<convolution.pixels { sum += delta[p, c] }
                gradient[start + gradW.elements.count + c] += architecture.biasStd * sum
            }
            guard l > 0 else { break }
            let (w, _) = weights(layer: l, inputChannels: channels)
            let patchGradient = Matrix.product(delta, w, transposeB: true, alpha: scale)
            upstream = ImagePatches.scatter(patchGradient, convolution, channels: channels)
        }
    }
}

extension ConvolutionalNetwork: LinearHeadNetwork {
    /// The readout f = (σ_w,out/√F)·⟨w, r(h^L)⟩ + σ_b,out·b as an affine layer (one output; w then
    /// b, as laid out in `parameters`), so that the head code of `LinearHeadNetwork` is shared.
    public var readout: AffineLayer {
        AffineLayer(fanIn: featureCount, fanOut: 1, offset: readoutOffset, weightStd: architecture.readoutWeightStd,
                    biasStd: architecture.readoutBiasStd, parameterization: .ntk)
    }

    /// The hidden layers' parameters (they come first; the readout's w and b follow).
    public var bodyParameters: Range<Int> { 0..<readoutOffset }
    /// The readout's parameters: w (F values), then b.
    public var headParameters: Range<Int> { readoutOffset..<parameterCount }
    /// F: H·W·c with a flatten readout, c with global average pooling.
    public var featureCount: Int { Self.readoutFanIn(convolution, channels: channels) }

    /// r(h^L(x)) for each row of `x`, n × F: the features the readout reads.
    public func features(_ x: Matrix) throws -> Matrix {
        try convolution.validate(inputDimension: x.columns, set: "inputs")
        return Matrix(rows: x.rows, columns: featureCount, elements: (0..<x.rows).flatMap { forward(x.row($0)).features })
    }

    /// J_bodyᵀ·vec(G) = Σ_i J_body(x_i)ᵀ·G_i, one backward pass per image.
    public func bodyGradient(featureGradient: Matrix, inputs x: Matrix) throws -> [Double] {
        try convolution.validate(inputDimension: x.columns, set: "inputs")
        precondition(featureGradient.rows == x.rows && featureGradient.columns == featureCount,
                     "the feature gradient must be \(x.rows)×\(featureCount)")
        var gradient = [Double](repeating: 0, count: parameterCount)
        for i in 0..<x.rows {
            addBodyGradient(featureGradient.row(i), trace: forward(x.row(i)), into: &gradient)
        }
        return Array(gradient[bodyParameters])
    }
}

/// The patch matrix of an image and its adjoint.
enum ImagePatches {
    /// The pixel that filter tap (t_y, t_x) of pixel p reads, or nil beyond a SAME border.
    static func source(_ p: Int, tapY: Int, tapX: Int, _ convolution: Convolution) -> Int? {
        let (h, w) = (convolution.imageHeight, convolution.imageWidth)
        var y = p / w + tapY - convolution.filterHeight / 2, x = p % w + tapX - convolution.filterWidth / 2
        switch convolution.padding {
        case .same:
            guard (0..<h).contains(y), (0..<w).contains(x) else { return nil }
        case .circular:
            y = (y % h + h) % h
            x = (x % w + w) % w
        }
        return y * w + x
    }

    /// P(h): row p holds the taps around pixel p, tap-major then channel (H·W × Kh·Kw·C).
    static func extract(_ h: Matrix, _ convolution: Convolution) -> Matrix {
        let c = h.columns, width = convolution.filterSize * c
        var patches = Matrix(rows: convolution.pixels, columns: width)
        for p in 0..<convolution.pixels {
            for ty in 0..<convolution.filterHeight {
                for tx in 0..<convolution.filterWidth {
                    guard let q = source(p, tapY: ty, tapX: tx, convolution) else { continue }
                    let column = (ty * convolution.filterWidth + tx) * c
                    for k in 0..<c { patches[p, column + k] = h[q, k] }
                }
            }
        }
        return patches
    }

    /// The adjoint of `extract`: adds each patch entry back onto the pixel it was read from.
    static func scatter(_ patches: Matrix, _ convolution: Convolution, channels c: Int) -> Matrix {
        var h = Matrix(rows: convolution.pixels, columns: c)
        for p in 0..<convolution.pixels {
            for ty in 0..<convolution.filterHeight {
                for tx in 0..<convolution.filterWidth {
                    guard let q = source(p, tapY: ty, tapX: tx, convolution) else { continue }
                    let column = (ty * convolution.filterWidth + tx) * c
                    for k in 0..<c { h[q, k] += patches[p, column + k] }
                }
            }
        }
        return h
    }
}
