import FiniteWidth
import InfiniteWidth
import LinearAlgebra

/// Small networks, inputs and vector arithmetic shared by the FiniteWidth tests.
enum TestNetworks {
    /// Every activation with a derivative.
    static let differentiableActivations: [Activation] = [
        .relu, .leakyReLU(slope: 0.2), .abReLU(negativeSlope: -0.5, positiveSlope: 1.5),
        .erf, .gelu, .tanh, .softplus, .sin, .identity,
    ]
    /// The smooth activations, plus ReLU (φ'' = 0 a.e.).
    static let hessianActivations: [Activation] = [.relu, .erf, .gelu, .tanh, .softplus, .sin, .identity]

    /// The two parameterizations at hidden width `width`.
    static func parameterizations(width: Int) -> [Parameterization] { [.ntk, .standard(hiddenWidth: width)] }

    /// A depth-2 network with a bias in NTK parameterization (σ_b = 0.3, so every bias
    /// gradient is non-zero) and none in standard parameterization (σ_b = 0: the trainable bias
    /// starts at 0 and must still get its gradient).
    static func network(_ activation: Activation, _ parameterization: Parameterization, depth: Int = 2,
                        inputDimension: Int = 4, width: Int = 12, outputs: Int = 1, seed: UInt64 = 7) throws
        -> FullyConnectedNetwork {
        let biasStd = parameterization == .ntk ? 0.3 : 0
        let architecture = try Architecture(depth: depth, activation: activation, weightStd: 1.2, biasStd: biasStd,
                                            readoutWeightStd: 0.9, readoutBiasStd: biasStd,
                                            parameterization: parameterization)
        return try FullyConnectedNetwork(architecture: architecture, inputDimension: inputDimension, width: width,
                                         outputs: outputs, seed: seed)
    }

    static func gaussian(_ rows: Int, _ columns: Int, seed: UInt64, scale: Double = 1) -> Matrix {
        var generator = SeededGenerator(seed: seed)
        return Matrix.randomNormal(rows: rows, columns: columns, standardDeviation: scale, using: &generator)
    }

    /// Points on the unit sphere in d dimensions.
    static func sphere(_ n: Int, _ d: Int, seed: UInt64) -> Matrix {
        gaussian(n, d, seed: seed).normalizingRows()
    }

    /// A random direction in parameter space with each layer's entries on the scale of that
    /// layer's initial parameters (so that a step ε moves every layer by a similar relative
    /// amount), restricted to `positions` if given.
    static func direction(for network: FullyConnectedNetwork, seed: UInt64, positions: Range<Int>? = nil) -> [Double] {
        var generator = SeededGenerator(seed: seed)
        var v = [Double](repeating: 0, count: network.parameterCount)
        for layer in network.layers {
            let biasScale = layer.initialBiasStd > 0 ? layer.initialBiasStd : layer.initialWeightStd
            for i in layer.weights { v[i] = layer.initialWeightStd * generator.normal() }
            for i in layer.biases { v[i] = biasScale * generator.normal() }
        }
        if let positions {
            for i in v.indices where !positions.contains(i) { v[i] = 0 }
        }
        return v
    }

    /// The fourth-order central difference of `f` at θ along v,
    /// [f(θ − 2εv) − 8f(θ − εv) + 8f(θ + εv) − f(θ + 2εv)] / 12ε: truncation error ε⁴/30·|f⁽⁵⁾|
    /// (negligible at ε = 1e-5), round-off ≈ 1.5·ε_mach·|f|/ε ≈ 1.5e-11·|f|.
    static func centralDifference(at theta: [Double], along v: [Double], step epsilon: Double,
                                  _ f: ([Double]) throws -> [Double]) rethrows -> [Double] {
        let values = try [-2.0, -1, 1, 2].map { try f(step(theta, $0 * epsilon, v)) }
        return (0..<values[0].count).map { i in
            (values[0][i] - 8 * values[1][i] + 8 * values[2][i] - values[3][i]) / (12 * epsilon)
        }
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
    static func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }

    /// θ + ε·v.
    static func step(_ theta: [Double], _ epsilon: Double, _ v: [Double]) -> [Double] {
        zip(theta, v).map { $0 + epsilon * $1 }
    }

    /// ‖a − b‖ / ‖b‖.
    static func relativeError(_ a: [Double], _ b: [Double]) -> Double {
        norm(zip(a, b).map { $0 - $1 }) / norm(b)
    }

    /// ‖A − B‖_F / ‖B‖_F.
    static func relativeError(_ a: Matrix, _ b: Matrix) -> Double {
        (a - b).frobeniusNorm / b.frobeniusNorm
    }

    /// The same network with other parameters.
    static func with(_ network: FullyConnectedNetwork, parameters: [Double]) -> FullyConnectedNetwork {
        var copy = network
        copy.parameters = parameters
        return copy
    }

    /// The least-squares slope of y against x.
    static func slope(_ x: [Double], _ y: [Double]) -> Double {
        let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
        let sxy = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let sxx = x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        return sxy / sxx
    }
}
