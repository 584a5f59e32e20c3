import LinearAlgebra
/// The `InfiniteWidth` module implements theory.md §1: the description of a fully connected
/// network, its activations and their kernel maps, and the NNGP/NTK recursion with the split of
/// the NTK into the head (readout) kernel K and the body kernel Θ − K, for one depth or a whole
/// depth sweep in one pass.
///
/// One `Architecture` value describes both a finite network (module `FiniteWidth`) and its
/// infinite-width limit (`KernelRecursion`), so the two can be compared without translation.

/// How weights enter the network (theory.md §1).
public enum Parameterization: Sendable, Equatable, CustomStringConvertible {
    /// z = (σ_w/√fan_in)·W·h + σ_b·b with W, b ~ N(0, 1): Neural Tangents' `'ntk'`, the default.
    case ntk
    /// z = W·h + b with W ~ N(0, σ_w²/fan_in), b ~ N(0, σ_b²). The NTK then grows with the hidden
    /// width h (Θ^{l+1} = h·Σ̂^l + 1 + σ_w²·Σ̇^l·Θ^l), so the kernels need the width.
    case standard(hiddenWidth: Int)

    public var description: String {
        switch self {
        case .ntk: return "ntk"
        case let .standard(width): return "standard (width \(width))"
        }
    }
}

/// A fully connected network of depth L (L hidden layers):
///
///     z¹ = (σ_w/√d)·W¹x + σ_b·b¹,   h^l = φ(z^l),   z^{l+1} = (σ_w/√h)·W^{l+1}h^l + σ_b·b^{l+1}
///     f(x) = (σ_w,out/√h)·W^{L+1}h^L + σ_b,out·b^{L+1}          (the readout, or head)
///
/// in NTK parameterization (standard parameterization is an option).
public struct Architecture: Sendable, Equatable {
    /// L, the number of hidden layers (≥ 1).
    public let depth: Int
    public let activation: Activation
    /// σ_w of the hidden layers.
    public let weightStd: Double
    /// σ_b of the hidden layers.
    public let biasStd: Double
    /// σ_w,out of the readout.
    public let readoutWeightStd: Double
    /// σ_b,out of the readout.
    public let readoutBiasStd: Double
    public let parameterization: Parameterization
    /// The convolutional layers and readout (nil: fully connected).
    public let convolution: Convolution?

    /// The deepest network accepted: the recursion keeps per-layer state for every point, so its
    /// memory and time grow linearly with L, and at L = 10⁴ a critical ReLU network's head share
    /// 1/(L+1) is already 10⁻⁴ (deeper adds nothing measurable to a depth sweep).
    public static let maximumDepth = 10_000

    /// Validates and builds an architecture. The readout σ's default to the hidden ones;
    /// the defaults σ_w = √2, σ_b = 0 are critical ReLU.
    public init(depth: Int, activation: Activation, weightStd: Double = 2.0.squareRoot(), biasStd: Double = 0,
                readoutWeightStd: Double? = nil, readoutBiasStd: Double? = nil,
                parameterization: Parameterization = .ntk, convolution: Convolution? = nil) throws {
        guard depth >= 1 else { throw ArchitectureError.invalidDepth(depth) }
        guard depth <= Architecture.maximumDepth else { throw ArchitectureError.depthTooLarge(depth) }
        let named: [(Hyperparameter, Double)] = [(.weightStd, weightStd), (.biasStd, biasStd),
                                                 (.readoutWeightStd, readoutWeightStd ?? weightStd),
                                                 (.readoutBiasStd, readoutBiasStd ?? biasStd)]
        for (parameter, value) in named where !(value.isFinite && value >= 0) {
            throw ArchitectureError.invalidStandardDeviation(parameter: parameter, value: value)
        }
        if case let .standard(width) = parameterization, width < 1 {
            throw ArchitectureError.invalidWidth(width)
        }
        if convolution != nil, parameterization != .ntk {
            throw ConvolutionError.unsupportedParameterization(parameterization.description)
        }
        self.depth = depth
        self.activation = activation
        self.weightStd = weightStd
        self.biasStd = biasStd
        self.readoutWeightStd = readoutWeightStd ?? weightStd
        self.readoutBiasStd = readoutBiasStd ?? biasStd
        self.parameterization = parameterization
        self.convolution = convolution
    }

    /// The same network with another depth (every other setting kept).
    public func withDepth(_ newDepth: Int) throws -> Architecture {
        try Architecture(depth: newDepth, activation: activation, weightStd: weightStd, biasStd: biasStd,
                         readoutWeightStd: readoutWeightStd, readoutBiasStd: readoutBiasStd,
                         parameterization: parameterization, convolution: convolution)
    }
}

/// An architecture that cannot be built, with the hyperparameter or value to fix.
public enum ArchitectureError: HyperparameterError, Equatable {
    case invalidDepth(Int)
    case depthTooLarge(Int)
    case invalidStandardDeviation(parameter: Hyperparameter, value: Double)
    case unknownActivation(String)
    case invalidWidth(Int)

    public func description(naming name: (Hyperparameter) -> String) -> String {
        switch self {
        case let .invalidDepth(depth):
            return "\(name(.depth)) must be at least 1 (the number of hidden layers), got \(depth)"
        case let .depthTooLarge(depth):
            return "\(name(.depth)) must be ≤ \(Architecture.maximumDepth) (the documented maximum), got \(depth)"
        case let .invalidStandardDeviation(parameter, value):
            return "\(name(parameter)) must be a finite number ≥ 0, got \(value)"
        case let .unknownActivation(text):
            return "\(name(.activation)): unknown activation '\(text)'; expected one of: \(Activation.acceptedNames)"
        case let .invalidWidth(width):
            return "\(name(.width)) must be at least 1, got \(width)"
        }
    }
}
