import Foundation

/// The textual names of activations, as the CLI and the reference vectors spell them.
extension Activation: CustomStringConvertible {
    /// The names accepted by `init(parsing:)`, for error messages and `--help`.
    public static let acceptedNames = "relu, erf, identity, gelu, tanh, softplus, sin, leaky-relu:<α>, abrelu:<a>,<b>"

    /// Parses `relu`, `erf`, `identity`, `gelu`, `tanh`, `softplus`, `sin`, `leaky-relu:<α>` or
    /// `abrelu:<a>,<b>`.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch trimmed {
        case "relu": self = .relu
        case "erf": self = .erf
        case "identity", "linear": self = .identity
        case "gelu": self = .gelu
        case "tanh": self = .tanh
        case "softplus": self = .softplus
        case "sin": self = .sin
        default:
            if let slope = trimmed.parameters(after: "leaky-relu:", count: 1) {
                self = .leakyReLU(slope: slope[0])
            } else if let slopes = trimmed.parameters(after: "abrelu:", count: 2) {
                self = .abReLU(negativeSlope: slopes[0], positiveSlope: slopes[1])
            } else {
                throw ArchitectureError.unknownActivation(text)
            }
        }
    }

    public var description: String {
        switch self {
        case .identity: return "identity"
        case .relu: return "relu"
        case let .leakyReLU(slope): return "leaky-relu:\(slope)"
        case let .abReLU(a, b): return "abrelu:\(a),\(b)"
        case .erf: return "erf"
        case .gelu: return "gelu"
        case .tanh: return "tanh"
        case .softplus: return "softplus"
        case .sin: return "sin"
        case let .custom(f): return f.name
        }
    }
}

private extension String {
    /// The `count` finite comma-separated numbers after `prefix`, or nil.
    func parameters(after prefix: String, count: Int) -> [Double]? {
        guard hasPrefix(prefix) else { return nil }
        let values = dropFirst(prefix.count).split(separator: ",", omittingEmptySubsequences: false)
            .map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count == count, values.allSatisfy({ $0?.isFinite == true }) else { return nil }
        return values.map { $0! }
    }
}
