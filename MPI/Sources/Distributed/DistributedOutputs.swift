import InfiniteWidth
import LinearAlgebra

/// Outputs of a trained predictor on the stacked test points: Σ_terms w·κ(rows, 𝒳̄)·c, with κ
/// a kernel between the test rows and the training points 𝒳̄ = 0..<trainingPoints and c the
/// coefficients on 𝒳̄. The columns 𝒳̄ are cut into chunks of 256 dealt cyclically to the
/// processes; each computes its chunks' kernel blocks (rows in pieces of 512) and their
/// products, and the partial sums are added over the processes (every process gets the result).
/// A process holds at most one 512 × 256 block of each kernel at a time.
enum DistributedOutputs {
    struct Term {
        let weight: Double
        let kernel: @Sendable (NetworkKernels) -> Matrix
    }

    static let chunk = 256
    static let piece = 512

    static func outputs(_ source: TaskKernelSource, rows: Range<Int>, trainingPoints: Int, terms: [Term],
                        coefficients: Matrix) throws -> Matrix {
        var result = Matrix(rows: rows.count, columns: coefficients.columns)
        let chunks = (trainingPoints + chunk - 1) / chunk
        for c in stride(from: Communicator.rank, to: chunks, by: Communicator.size) {
            let columns = (c * chunk)..<min(trainingPoints, (c + 1) * chunk)
            for start in stride(from: rows.lowerBound, to: rows.upperBound, by: piece) {
                let part = start..<min(rows.upperBound, start + piece)
                let kernels = try source.block(rows: part, columns: columns)
                let target = BlockRange(rows: (part.lowerBound - rows.lowerBound)..<(part.upperBound - rows.lowerBound),
                                        columns: 0..<coefficients.columns)
                for term in terms where term.weight != 0 {
                    Matrix.multiplyAdd(into: &result, at: target, term.kernel(kernels), coefficients,
                                       bBlock: BlockRange(rows: columns, columns: 0..<coefficients.columns),
                                       alpha: term.weight, beta: 1)
                }
            }
        }
        var sums = result.elements
        Communicator.sum(&sums)
        return Matrix(rows: result.rows, columns: result.columns, elements: sums)
    }
}
