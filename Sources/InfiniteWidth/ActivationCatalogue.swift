import Foundation

/// One activation of the catalogue: its name, its parameters and how to build it from them.
public struct ActivationCatalogueEntry: Sendable {
    /// The name as written on the command line and in reference files (`leaky-relu`).
    public let name: String
    /// The parameters' names after the colon (`α` for `leaky-relu:α`), empty if none.
    public let parameters: [String]
    /// The formula, for help texts.
    public let summary: String
    fileprivate let build: @Sendable ([String]) throws -> Activation

    /// `name` or `name:p1,p2`, as `--help` prints it.
    public var usage: String { parameters.isEmpty ? name : "\(name):" + parameters.map { "<\($0)>" }.joined(separator: ",") }
}

/// Text that does not name an activation of the catalogue, or names one with bad parameters.
/// The command layer prefixes the flag that carried the text.
public enum ActivationError: Error, CustomStringConvertible, Equatable {
    case unknownName(String)
    case wrongParameterCount(activation: String, expected: [String], got: Int)
    case invalidParameter(activation: String, parameter: String, value: String, expected: String)

    public var description: String {
        switch self {
        case let .unknownName(text):
            return "unknown activation '\(text)'; the catalogue: \(Activation.acceptedNames)"
        case let .wrongParameterCount(name, expected, got):
            let wanted = expected.isEmpty ? "no parameters" : "\(expected.count) parameter(s) \(expected.joined(separator: ","))"
            return "activation \(name) takes \(wanted) (\(name)\(expected.isEmpty ? "" : ":" + expected.map { "<\($0)>" }.joined(separator: ","))), got \(got)"
        case let .invalidParameter(name, parameter, value, expected):
            return "activation \(name): parameter \(parameter) must be \(expected), got '\(value)'"
        }
    }
}

extension Activation: CustomStringConvertible {
    /// Largest n accepted by monomial:n, rectified-monomial:n, hermite:n, and the largest
    /// polynomial degree: beyond it E[φ(u)²] ~ (2n−1)!!·qⁿ leaves float64's useful range.
    public static let maximumDegree = 32

    /// Every activation the CLI and `init(parsing:)` know, in the order `--help` lists them.
    public static let catalogue: [ActivationCatalogueEntry] = [
        entry("relu", summary: "max(0, x)") { _ in .relu },
        entry("leaky-relu", ["α"], summary: "x for x > 0, α·x otherwise") { .leakyReLU(slope: try real($0[0], "α", of: "leaky-relu")) },
        entry("abrelu", ["a", "b"], summary: "a·min(x, 0) + b·max(x, 0)") {
            .abReLU(negativeSlope: try real($0[0], "a", of: "abrelu"), positiveSlope: try real($0[1], "b", of: "abrelu"))
        },
        entry("erf", summary: "erf(x)") { _ in .erf },
        entry("identity", summary: "x") { _ in .identity },
        entry("gelu", summary: "x·Φ(x)") { _ in .gelu },
        entry("tanh", summary: "tanh(x)") { _ in .tanh },
        entry("softplus", summary: "log(1 + eˣ)") { _ in .softplus },
        entry("sin", summary: "sin(x)") { _ in .sin },
        entry("sigmoid", summary: "1/(1 + e^{−x})") { _ in .sigmoid },
        entry("silu", summary: "x·sigmoid(x)") { _ in .silu },
        entry("elu", ["α"], summary: "x for x > 0, α·(eˣ − 1) otherwise") { .elu(alpha: try real($0[0], "α", of: "elu")) },
        entry("selu", summary: "λ·elu_α(x), λ = 1.0507…, α = 1.6733…") { _ in .selu },
        entry("cos", summary: "cos(x)") { _ in .cos },
        entry("gaussian", summary: "e^{−x²}") { _ in .gaussian },
        entry("exp", summary: "eˣ") { _ in .exp },
        entry("abs", summary: "|x|") { _ in .abs },
        entry("sign", summary: "sign(x)") { _ in .sign },
        entry("monomial", ["n"], summary: "xⁿ") { .monomial(degree: try degree($0[0], of: "monomial")) },
        entry("rectified-monomial", ["n"], summary: "max(0, x)ⁿ") { .rectifiedMonomial(degree: try degree($0[0], of: "rectified-monomial")) },
        entry("hermite", ["n"], summary: "He_n(x)/√n!") { .hermite(degree: try degree($0[0], of: "hermite")) },
        entry("polynomial", ["c0", "c1", "…"], summary: "Σ c_k x^k") { values in
            guard values.count <= maximumDegree + 1 else {
                throw ActivationError.invalidParameter(activation: "polynomial", parameter: "c0,c1,…", value: values.joined(separator: ","),
                                                       expected: "at most \(maximumDegree + 1) coefficients")
            }
            return .polynomial(coefficients: try values.enumerated().map { try real($1, "c\($0)", of: "polynomial") })
        },
    ]

    /// Other spellings accepted for catalogue names.
    static let aliases = ["linear": "identity", "swish": "silu"]

    /// The catalogue as `--help` and error messages list it.
    public static var acceptedNames: String { catalogue.map(\.usage).joined(separator: ", ") }

    /// Parses `name` or `name:p1,p2,…` (case-insensitive name, see `catalogue`). Throws
    /// `ActivationError` naming the unknown name or the parameter that is missing or bad.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        var name = parts[0].trimmingCharacters(in: .whitespaces).lowercased()
        name = Self.aliases[name] ?? name
        guard let entry = Self.catalogue.first(where: { $0.name == name }) else { throw ActivationError.unknownName(text) }
        let values = parts.count == 2
            ? parts[1].split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } : []
        let variadic = entry.parameters.last == "…"
        let countIsRight = variadic ? !values.isEmpty && values != [""] : values.count == entry.parameters.count
        guard countIsRight else {
            throw ActivationError.wrongParameterCount(activation: name, expected: entry.parameters,
                                                      got: values == [""] ? 0 : values.count)
        }
        self = try entry.build(values)
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
        case .sigmoid: return "sigmoid"
        case .silu: return "silu"
        case let .elu(alpha): return "elu:\(alpha)"
        case .selu: return "selu"
        case .cos: return "cos"
        case .gaussian: return "gaussian"
        case .exp: return "exp"
        case .abs: return "abs"
        case .sign: return "sign"
        case let .monomial(n): return "monomial:\(n)"
        case let .rectifiedMonomial(n): return "rectified-monomial:\(n)"
        case let .hermite(n): return "hermite:\(n)"
        case let .polynomial(c): return "polynomial:" + c.map { "\($0)" }.joined(separator: ",")
        case let .custom(f): return f.name
        }
    }

    private static func entry(_ name: String, _ parameters: [String] = [], summary: String,
                              build: @escaping @Sendable ([String]) throws -> Activation) -> ActivationCatalogueEntry {
        ActivationCatalogueEntry(name: name, parameters: parameters, summary: summary, build: build)
    }

    /// A finite real parameter.
    private static func real(_ text: String, _ parameter: String, of activation: String) throws -> Double {
        guard let value = Double(text), value.isFinite else {
            throw ActivationError.invalidParameter(activation: activation, parameter: parameter, value: text,
                                                   expected: "a finite number")
        }
        return value
    }

    /// An integer degree 0…maximumDegree.
    private static func degree(_ text: String, of activation: String) throws -> Int {
        guard let value = Int(text), value >= 0, value <= maximumDegree else {
            throw ActivationError.invalidParameter(activation: activation, parameter: "n", value: text,
                                                   expected: "an integer from 0 to \(maximumDegree)")
        }
        return value
    }
}
