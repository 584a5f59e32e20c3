import LinearAlgebra
import InfiniteWidth
/// A finite network or its inputs that cannot be used, worded with the hyperparameter or the inputs to fix.
public enum FiniteWidthError: HyperparameterError, Equatable {
    /// The hidden width h is below 1.
    case invalidWidth(Int)
    /// The input dimension d is below 1.
    case invalidInputDimension(Int)
    /// The number of outputs k is below 1.
    case invalidOutputCount(Int)
    /// The standard parameterization was built for another hidden width than the network's.
    case parameterizationWidthMismatch(width: Int, parameterizationWidth: Int)
    /// A parameter vector of the wrong length was handed to the network.
    case parameterCountMismatch(expected: Int, found: Int)
    /// An input set holds no points.
    case noPoints(set: String)
    /// An input set's points have another dimension than the network's inputs.
    case inputDimensionMismatch(set: String, expected: Int, found: Int)
    /// A label or offset matrix does not have one row per point and one column per output.
    case shapeMismatch(matrix: String, expectedRows: Int, expectedColumns: Int, rows: Int, columns: Int)
    /// A kernel was asked of an output unit the network does not have.
    case outputIndexOutOfRange(index: Int, outputs: Int)
    /// A convolutional architecture was handed to the fully connected network.
    case convolutionalArchitecture
    /// A fully connected architecture was handed to the convolutional network.
    case fullyConnectedArchitecture

    public func description(naming name: (Hyperparameter) -> String) -> String {
        switch self {
        case let .invalidWidth(width):
            return "\(name(.width)) must be at least 1 (the number of units in each hidden layer), got \(width)"
        case let .invalidInputDimension(d):
            return "the input dimension must be at least 1, got \(d)"
        case let .invalidOutputCount(k):
            return "the number of outputs (label columns) must be at least 1, got \(k)"
        case let .parameterizationWidthMismatch(width, parameterizationWidth):
            return "\(name(.width)) is \(width), but the standard parameterization was set up for hidden width "
                + "\(parameterizationWidth): they must be equal"
        case let .parameterCountMismatch(expected, found):
            return "the network has \(expected) parameters, but \(found) values were given"
        case .convolutionalArchitecture:
            return "a fully connected network cannot be built from a convolutional architecture: use the "
                + "convolutional network (its width is the number of channels)"
        case .fullyConnectedArchitecture:
            return "a convolutional network needs a convolutional architecture (a filter size and an image shape)"
        case let .noPoints(set):
            return "\(set) holds no points"
        case let .inputDimensionMismatch(set, expected, found):
            return "\(set) has \(found) columns, but the network takes inputs of dimension \(expected)"
        case let .shapeMismatch(matrix, expectedRows, expectedColumns, rows, columns):
            return "\(matrix) is \(rows)×\(columns), but it must be \(expectedRows)×\(expectedColumns) "
                + "(one row per point, one column per output)"
        case let .outputIndexOutOfRange(index, outputs):
            return "output index \(index) is out of range: the network has \(outputs) output"
                + (outputs == 1 ? "" : "s") + " (0…\(outputs - 1))"
        }
    }
}
