import FewShot
import InfiniteWidth
import LinearAlgebra
import Paradigms

/// A finite convolutional network of the architecture's `Convolution`, c channels in every hidden
/// layer, NTK parameterization, k outputs (Neural Tangents' `stax.Conv(c, (Kh, Kw), padding,
/// parameterization='ntk')` → φ, then `Flatten()` / `GlobalAvgPool()`, then `Dense(k)`):
///
///     z^l = (σ_w/√(Kh·Kw·C_{l−1}))·P(h^{l−1})·W^l + σ_b·1·b^lᵀ,   h^l = φ(z^l),   h⁰ = x (H·W × C)
///     f(x) = (σ_w,out/√F)·W_out·r(h^L) + σ_b,out·b_out
///
/// where P(h) is the H·W × Kh·Kw·C matrix of patches (row p: the filter taps around pixel p, zero
/// or wrapped beyond the border), r is the flattened H·W·c activations (F = H·W·c) or their mean
/// over pixels (F = c), and every W, b ~ N(0, 1). Its empirical NTK Θ̂ = J·Jᵀ approaches the
/// CNTK of `KernelRecursion` as c grows, with fluctuations of order 1/√c.
///
/// Parameters live in one flat buffer, layer after layer, W (row-major, Kh·Kw·C_{l−1} × c)
/// before b; the readout (W_out, k × F row-major, then b_out) last. Hidden layer l draws from
/// `SeededGenerator(seed, stream: l)`, the readout from stream 0 (as the fully connected network).
/// A batch of n images runs as one stacked n·H·W-row matrix per layer, so every patch product is
/// one GEMM (`ConvolutionalPasses.swift`).
public struct ConvolutionalNetwork: Sendable {
    public let architecture: Architecture
    public let convolution: Convolution
    /// c, the number of channels of every hidden layer.
    public let channels: Int
    /// k, the number of outputs.
    public let outputCount: Int
    public var parameters: [Double]

    /// The hidden layers 1 … L and the readout.
    let hiddenLayers: [PatchLayer]
    public let readout: AffineLayer
    let elementwise: ElementwiseActivation

    public init(architecture: Architecture, channels: Int, outputs: Int = 1, seed: UInt64) throws {
        guard let convolution = architecture.convolution else { throw FiniteWidthError.fullyConnectedArchitecture }
        guard channels >= 1 else { throw FiniteWidthError.invalidWidth(channels) }
        guard outputs >= 1 else { throw FiniteWidthError.invalidOutputCount(outputs) }
        self.architecture = architecture
        self.convolution = convolution
        self.channels = channels
        outputCount = outputs
        var layers: [PatchLayer] = [], offset = 0
        for l in 1...architecture.depth {
            let layer = PatchLayer(fanIn: convolution.filterSize * (l == 1 ? convolution.channels : channels),
                                   channels: channels, offset: offset, weightStd: architecture.weightStd,
                                   biasStd: architecture.biasStd)
            layers.append(layer)
            offset = layer.parameters.upperBound
        }
        hiddenLayers = layers
        let fanIn = convolution.readout == .flatten ? convolution.pixels * channels : channels
        readout = AffineLayer(fanIn: fanIn, fanOut: outputs, offset: offset, weightStd: architecture.readoutWeightStd,
                              biasStd: architecture.readoutBiasStd, parameterization: .ntk)
        elementwise = ElementwiseActivation(activation: architecture.activation)
        let head = readout
        var parameters = [Double](repeating: 0, count: head.parameters.upperBound)
        parameters.withUnsafeMutableBufferPointer { buffer in
            for (index, layer) in layers.enumerated() {
                var generator = SeededGenerator(seed: seed, stream: UInt64(index + 1))
                for k in layer.parameters { buffer[k] = generator.normal() }
            }
            var generator = SeededGenerator(seed: seed, stream: 0)
            head.drawParameters(into: buffer, using: &generator)
        }
        self.parameters = parameters
    }

    public var parameterCount: Int { parameters.count }
    /// L, the number of hidden layers.
    public var depth: Int { architecture.depth }

    /// Refuses an input set that is empty or whose rows are not H·W·C values.
    func validateInputs(_ x: Matrix, name: String) throws {
        guard x.rows > 0 else { throw FiniteWidthError.noPoints(set: name) }
        try convolution.validate(inputDimension: x.columns, set: name)
    }

    /// Refuses a label or offset matrix that is not `points × k`.
    func validateOutputShape(_ m: Matrix, name: String, points: Int) throws {
        guard m.rows == points, m.columns == outputCount else {
            throw FiniteWidthError.shapeMismatch(matrix: name, expectedRows: points, expectedColumns: outputCount,
                                                 rows: m.rows, columns: m.columns)
        }
    }

    /// ∂f_o(x)/∂θ for each row of `x` and output unit o: the n × P Jacobian, one image at a time.
    public func jacobian(_ x: Matrix, outputIndex: Int = 0) throws -> Matrix {
        guard (0..<outputCount).contains(outputIndex) else {
            throw FiniteWidthError.outputIndexOutOfRange(index: outputIndex, outputs: outputCount)
        }
        try validateInputs(x, name: "X")
        var result = Matrix(rows: x.rows, columns: parameterCount)
        var unit = Matrix(rows: 1, columns: outputCount)
        unit[0, outputIndex] = 1
        parameters.withUnsafeBufferPointer { p in
            result.withUnsafeMutableBufferPointer { j in
                for i in 0..<x.rows {
                    let trace = traceBody(x.rows(i..<(i + 1)), at: p.baseAddress!)
                    let row = j.baseAddress! + i * parameterCount
                    readout.addGradient(unit, input: trace.features, into: row)
                    backpropagateBody(readout.pullBack(unit, parameters: p.baseAddress!), trace: trace,
                                      at: p.baseAddress!, scale: 1, into: row)
                }
            }
        }
        return result
    }

    /// The empirical kernels of output unit o at the current parameters: Θ̂ = J·Jᵀ (NTK) and K̂,
    /// the readout's own part (its tangent kernel, which the NNGP 𝒦 is the limit of; the same for
    /// every unit).
    public func empiricalKernels(_ x: Matrix, outputIndex: Int = 0) throws -> (ntk: Matrix, head: Matrix) {
        let j = try jacobian(x, outputIndex: outputIndex)
        let row = readout.weights.lowerBound + outputIndex * readout.fanIn   // W_out's row o: a·r(h^L)
        let head = j.block(rows: 0..<x.rows, columns: row..<(row + readout.fanIn))
        var k = Matrix.gram(head)
        Entrywise.add(readout.kernelBiasShift, to: &k)
        return (Matrix.gram(j), k)
    }

    /// The empirical kernels on every stacked point of a task set, wrapped like the analytic ones
    /// (ntk = Θ̂, head = nngp = K̂, body = Θ̂ − K̂), as `FullyConnectedNetwork.empiricalTaskKernels`.
    public func empiricalTaskKernels(_ points: StackedPoints) throws -> TaskKernels {
        let (ntk, head) = try empiricalKernels(points.inputs)
        let kernels = NetworkKernels(depth: depth, nngp: head, ntk: ntk, head: head, body: ntk - head)
        return TaskKernels(points: points, kernels: kernels)
    }
}

/// One convolution of the body, z = a·P·W + β·1·bᵀ on stacked patches P (rows: pixels of every
/// image), with W (fanIn × c, row-major) at `offset` in the flat buffer followed by b (c values);
/// a = σ_w/√fanIn, β = σ_b (NTK parameterization).
struct PatchLayer: Sendable {
    /// Kh·Kw·C_in.
    let fanIn: Int
    let channels: Int
    let offset: Int
    let weightMultiplier: Double
    let biasMultiplier: Double

    init(fanIn: Int, channels: Int, offset: Int, weightStd: Double, biasStd: Double) {
        (self.fanIn, self.channels, self.offset) = (fanIn, channels, offset)
        (weightMultiplier, biasMultiplier) = (weightStd / Double(fanIn).squareRoot(), biasStd)
    }

    var weightCount: Int { fanIn * channels }
    var biases: Range<Int> { (offset + weightCount)..<(offset + weightCount + channels) }
    var parameters: Range<Int> { offset..<biases.upperBound }

    func weightView(_ p: UnsafePointer<Double>) -> MatrixView {
        MatrixView(base: p + offset, rows: fanIn, columns: channels)
    }

    /// a·P·W + β·1·bᵀ.
    func apply(_ patches: Matrix, parameters p: UnsafePointer<Double>) -> Matrix {
        let bias = p + biases.lowerBound, (c, beta) = (channels, biasMultiplier)
        return Matrix.filled(rows: patches.rows, columns: channels) { z in
            for i in 0..<z.rows {
                for j in 0..<c { z.base[i * c + j] = beta * bias[j] }
            }
            patches.withView { gemm($0, weightView(p), into: z, alpha: weightMultiplier, beta: 1) }
        }
    }

    /// Z ← Z + a·P·W (no bias).
    func addWeightProduct(_ patches: Matrix, parameters p: UnsafePointer<Double>, into z: inout Matrix) {
        patches.withView { pv in z.withMutableView { gemm(pv, weightView(p), into: $0, alpha: weightMultiplier, beta: 1) } }
    }

    /// a·D·Wᵀ: the gradient with respect to the patches.
    func pullBack(_ delta: Matrix, parameters p: UnsafePointer<Double>) -> Matrix {
        Matrix.filled(rows: delta.rows, columns: fanIn) { g in
            delta.withView { gemm($0, weightView(p), transposeB: true, into: g, alpha: weightMultiplier, beta: 0) }
        }
    }

    /// G ← G + a·D·Wᵀ.
    func addPullBack(_ delta: Matrix, parameters p: UnsafePointer<Double>, into g: inout Matrix) {
        delta.withView { d in g.withMutableView { gemm(d, weightView(p), transposeB: true, into: $0, alpha: weightMultiplier, beta: 1) } }
    }

    /// ∂W += s·a·Pᵀ·D and (if `includeBias`) ∂b += s·β·Σ_rows D, at this layer's offset.
    func addGradient(_ delta: Matrix, patches: Matrix, into gradient: UnsafeMutablePointer<Double>,
                     includeBias: Bool = true, scale: Double = 1) {
        let weightGradient = MutableMatrixView(base: gradient + offset, rows: fanIn, columns: channels)
        delta.withView { d in
            patches.withView { gemm($0, transposeA: true, d, into: weightGradient, alpha: scale * weightMultiplier, beta: 1) }
            guard includeBias else { return }
            let (bias, c, s) = (gradient + biases.lowerBound, channels, scale * biasMultiplier)
            for i in 0..<d.rows {
                for j in 0..<c { bias[j] += s * d.base[i * c + j] }
            }
        }
    }
}
