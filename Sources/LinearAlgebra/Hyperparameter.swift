// In LinearAlgebra, the lowest module, so that every library module can name a hyperparameter.
/// A hyperparameter that a library error names, in the paper's terms. Library errors never
/// name command-line flags: the command layer (NTKBridgeCommands) words them with its own.
public enum Hyperparameter: String, Sendable, CaseIterable {
    case depth, activation, weightStd, biasStd, readoutWeightStd, readoutBiasStd, width
    case innerSolver, innerRate, innerSteps, testInnerRate, testInnerSteps
    case outerRate, outerSteps, outerTime, diagonalRegularization, headCorrelation

    /// The symbol and a few words, as a library message shows it.
    public var name: String {
        switch self {
        case .depth: return "the depth L"
        case .activation: return "the activation φ"
        case .weightStd: return "σ_w (hidden layers)"
        case .biasStd: return "σ_b (hidden layers)"
        case .readoutWeightStd: return "σ_w of the readout"
        case .readoutBiasStd: return "σ_b of the readout"
        case .width: return "the hidden width h"
        case .innerSolver: return "the inner solver"
        case .innerRate: return "the inner rate λ"
        case .innerSteps: return "the inner steps τ"
        case .testInnerRate: return "the test-time rate λ̂"
        case .testInnerSteps: return "the test-time steps τ̂"
        case .outerRate: return "the outer rate η"
        case .outerSteps: return "the outer steps S"
        case .outerTime: return "the training time t"
        case .diagonalRegularization: return "the diagonal regularization r"
        case .headCorrelation: return "the head correlation ρ"
        }
    }
}

/// An error whose message names hyperparameters: `description` names them in the paper's
/// terms, `description(naming:)` with whatever the caller calls them (a command, its flags).
public protocol HyperparameterError: Error, CustomStringConvertible {
    func description(naming: (Hyperparameter) -> String) -> String
}

extension HyperparameterError {
    public var description: String { description(naming: \.name) }
}
