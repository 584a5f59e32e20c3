import LinearAlgebra

/// The kernels of one network between two sets of inputs X1 (rows) and X2 (columns)
/// (theory.md §1):
///
///     nngp = 𝒦 = Σ^{L+1}            the NNGP kernel
///     ntk  = Θ = Θ^{L+1}            the neural tangent kernel
///     head = K                      the readout's own tangent kernel (= 𝒦 in NTK parameterization)
///     body = Θ_body = Θ − K = σ_w,out²·Σ̇^L ⊙ Θ^L   (computed directly, not by subtraction)
///
/// A k-output network's kernel is `kernel ⊗ I_k`, so each matrix multiplies a label matrix.
public struct NetworkKernels: Sendable {
    /// L, the number of hidden layers.
    public let depth: Int
    public let nngp: Matrix
    public let ntk: Matrix
    public let head: Matrix
    public let body: Matrix

    public init(depth: Int, nngp: Matrix, ntk: Matrix, head: Matrix, body: Matrix) {
        self.depth = depth
        self.nngp = nngp
        self.ntk = ntk
        self.head = head
        self.body = body
    }

    /// The head's share of the NTK, K(x,x)/Θ(x,x), averaged over the diagonal (theory.md §1:
    /// exactly 1/(L+1) for positively homogeneous φ with σ_b = 0).
    public var headShare: Double {
        let heads = head.diagonalElements, totals = ntk.diagonalElements
        guard !heads.isEmpty else { return .nan }
        return zip(heads, totals).reduce(0) { $0 + $1.0 / $1.1 } / Double(heads.count)
    }

    /// The same kernels restricted to rows `rows` and columns `columns` (copied).
    public func block(rows: Range<Int>, columns: Range<Int>) -> NetworkKernels {
        NetworkKernels(depth: depth,
                       nngp: nngp.block(rows: rows, columns: columns),
                       ntk: ntk.block(rows: rows, columns: columns),
                       head: head.block(rows: rows, columns: columns),
                       body: body.block(rows: rows, columns: columns))
    }
}

/// Kernel inputs that cannot be used, worded with the flag or set to fix.
public enum KernelInputError: Error, CustomStringConvertible, Equatable {
    case noPoints(set: String)
    case noFeatures(set: String)
    case dimensionMismatch(firstSet: String, firstDimension: Int, secondSet: String, secondDimension: Int)
    case nonFiniteInput(set: String, row: Int, column: Int)
    case invalidDepths([Int])
    case nonFiniteKernel(depth: Int, hint: String)
    case invalidRows(Range<Int>, count: Int)

    public var description: String {
        switch self {
        case let .noPoints(set):
            return "\(set) holds no points"
        case let .noFeatures(set):
            return "\(set) has points with no coordinates"
        case let .dimensionMismatch(first, d1, second, d2):
            return "\(first) has \(d1) columns but \(second) has \(d2): the input dimensions must agree"
        case let .nonFiniteInput(set, row, column):
            return "\(set) holds a non-finite value at row \(row + 1), column \(column + 1)"
        case let .invalidDepths(depths):
            return "depths must be at least 1, got \(depths.map(String.init).joined(separator: ","))"
        case let .nonFiniteKernel(depth, hint):
            return "the kernel at depth \(depth) overflowed to a non-finite value; \(hint)"
        case let .invalidRows(rows, count):
            return "rows \(rows.lowerBound)..<\(rows.upperBound) are not a non-empty range within the \(count) points of X1"
        }
    }
}
