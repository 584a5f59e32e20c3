import FewShot
import InfiniteWidth
import LinearAlgebra

/// Which parameters the GBML inner loop adapts (theory.md §3, §4).
public enum GBMLMethod: String, Sendable, CaseIterable {
    /// All layers adapt: κ = Θ (MAML, iMAML-like).
    case maml
    /// Only the head adapts: κ = K (ANIL, MetaOptNet, R2D2).
    case anil

    /// κ, the tangent kernel of the adapted parameters.
    public func adaptedKernel(_ kernels: NetworkKernels) -> Matrix {
        self == .maml ? kernels.ntk : kernels.head
    }

    var kernelName: String { self == .maml ? "Θ" : "K" }
}

/// The linear map from a training task's network outputs to its meta-output (theory.md §4):
///
///     F_i = f(X_i) − κ(X_i, X'_i)·T_i·(f(X'_i) − Y'_i) = A_i·f(X̄_i) + B_i·Y'_i,
///     A_i = [I, −B_i],   B_i = κ(X_i, X'_i)·T_i.
public struct TaskAdaptation: Sendable {
    /// B_i = κ(X_i, X'_i)·T_i (n_i × n'_i).
    public let adaptedQueryMap: Matrix
    /// B_i·Y'_i, the task's share of 𝒢.
    public let adaptedSupportLabels: Matrix

    /// The adaptation of the task whose query and support rows in the stacked kernel are
    /// `query` and `support`, from the spectrum of its support kernel κ(X', X').
    public init(spectrum: SupportSpectrum, kappa: Matrix, query: Range<Int>, support: Range<Int>, supportLabels: Matrix,
                solver: InnerSolver, rate parameter: Hyperparameter = .innerRate) throws {
        let t = try spectrum.adaptationOperator(solver, rate: parameter)
        adaptedQueryMap = Matrix.product(kappa.block(rows: query, columns: support), t)
        adaptedSupportLabels = Matrix.product(adaptedQueryMap, supportLabels)
    }
}

/// The eigendecompositions of every support kernel κ(X', X') of a task set, computed once and
/// shared by every inner solver (a sweep over inner times reuses them).
public struct SupportSpectra: Sendable {
    public let train: [SupportSpectrum]
    public let test: [SupportSpectrum]
    /// κ itself.
    public let kappa: Matrix

    /// The spectra of κ = Θ (MAML) or K (ANIL and MTL's head fine-tuning).
    public init(kernels: TaskKernels, kappa: Matrix, kernelName: String) throws {
        let points = kernels.points
        func spectrum(_ rows: Range<Int>, _ name: String) throws -> SupportSpectrum {
            try SupportSpectrum(supportKernel: kappa.block(rows: rows, columns: rows),
                                name: "the support kernel \(kernelName)(X', X') of \(name)")
        }
        train = try points.trainSupport.enumerated().map { try spectrum($1, "train[\($0)]") }
        test = try points.testSupport.enumerated().map { try spectrum($1, "test[\($0)]") }
        self.kappa = kappa
    }

    public init(kernels: TaskKernels, method: GBMLMethod) throws {
        try self.init(kernels: kernels, kappa: method.adaptedKernel(kernels.kernels), kernelName: method.kernelName)
    }

    /// The spectra of K, for MTL's head fine-tuning.
    public static func head(_ kernels: TaskKernels) throws -> SupportSpectra {
        try SupportSpectra(kernels: kernels, kappa: kernels.kernels.head, kernelName: "K")
    }

    /// The adaptation of test task j under `solver`.
    func testAdaptation(_ j: Int, points: StackedPoints, supportLabels: Matrix, solver: InnerSolver) throws -> TaskAdaptation {
        try TaskAdaptation(spectrum: test[j], kappa: kappa, query: points.testQuery[j], support: points.testSupport[j],
                           supportLabels: supportLabels, solver: solver, rate: .testInnerRate)
    }
}

/// The meta-induced kernel (MetaNTK) of theory.md §4,
///
///     Φ_ij = A_i·Θ(X̄_i, X̄_j)·A_jᵀ      (Nn × Nn, Θ the full NTK even for ANIL),
///
/// assembled by blocked GEMMs on Θ in place: first M = Θ(𝒳̄, 𝒳̄)·𝒜ᵀ, block column j being
/// Θ(𝒳̄, X_j) − Θ(𝒳̄, X'_j)·B_jᵀ, then block row i of Φ as M(X_i, ·) − B_i·M(X'_i, ·).
public enum MetaInducedKernel {
    /// Θ(rows, 𝒳̄)·𝒜ᵀ for the stacked rows `rows`: one block column per training task.
    static func rightMultipliedByAdaptations(ntk: Matrix, rows: Range<Int>, points: StackedPoints,
                                             adaptations: [TaskAdaptation]) -> Matrix {
        let querySizes = points.trainQuery.map(\.count)
        var result = Matrix(rows: rows.count, columns: querySizes.reduce(0, +))
        var column = 0
        for (j, adaptation) in adaptations.enumerated() {
            let target = BlockRange(rows: 0..<rows.count, columns: column..<(column + querySizes[j]))
            result.setBlock(ntk.block(rows: rows, columns: points.trainQuery[j]), at: 0, column)
            Matrix.multiplyAdd(into: &result, at: target, ntk, aBlock: BlockRange(rows: rows, columns: points.trainSupport[j]),
                               adaptation.adaptedQueryMap, transposeB: true, alpha: -1, beta: 1)
            column += querySizes[j]
        }
        return result
    }

    /// A·M for a task's rows of M: M(query, ·) − B·M(support, ·), where `query` and `support`
    /// index rows of M.
    static func leftMultipliedByAdaptation(_ m: Matrix, query: Range<Int>, support: Range<Int>,
                                           adaptedQueryMap: Matrix) -> Matrix {
        var result = m.block(rows: query, columns: 0..<m.columns)
        Matrix.multiplyAdd(into: &result, adaptedQueryMap, m, bBlock: BlockRange(rows: support, columns: 0..<m.columns),
                           alpha: -1, beta: 1)
        return result
    }

    /// Φ for the training tasks, exactly symmetric (the mean of the assembly and its transpose).
    ///
    /// Assembled by block rows on the workers of `ParallelLoop` (OpenBLAS single-threaded inside
    /// each), without the P × N·n product Θ·𝒜ᵀ: for a chunk of training tasks, the rows
    /// L = A_i·Θ(X̄_i, 𝒳̄) = Θ(X_i, 𝒳̄) − B_i·Θ(X'_i, 𝒳̄) go to a per-worker buffer of a few MB, and
    /// then block column j of those rows of Φ is L(·, X_j) − L(·, X'_j)·B_jᵀ. The workers write
    /// disjoint rows of Φ; nothing of the size of Θ is allocated beside it (fresh pages cost as
    /// much as the arithmetic here).
    public static func matrix(ntk: Matrix, points: StackedPoints, adaptations: [TaskAdaptation]) -> Matrix {
        let training = points.trainingPoints
        let querySizes = points.trainQuery.map(\.count)
        let starts = querySizes.reduce(into: [0]) { $0.append($0.last! + $1) }
        let size = starts.last!
        let (n, width) = (ntk.columns, training.count)
        let trainQuery = points.trainQuery, trainSupport = points.trainSupport
        var phi = Matrix.producing(1, rows: size, columns: size) { pointers in
            let target = SharedPointer(pointers[0])
            BLASBackend.withThreadCount(1) {
                ParallelLoop.forEachChunk(count: adaptations.count) { tasks in
                    let chunkRows = starts[tasks.upperBound] - starts[tasks.lowerBound]
                    let l = UnsafeMutablePointer<Double>.allocate(capacity: chunkRows * width)
                    defer { l.deallocate() }
                    ntk.withUnsafeBufferPointer { theta in
                        let thetaTraining = theta.baseAddress! + training.lowerBound
                        for i in tasks {
                            let rows = l + (starts[i] - starts[tasks.lowerBound]) * width
                            for (r, point) in trainQuery[i].enumerated() {
                                (rows + r * width).update(from: thetaTraining + point * n, count: width)
                            }
                            adaptations[i].adaptedQueryMap.withUnsafeBufferPointer { b in
                                gemm(MatrixView(base: b.baseAddress!, rows: querySizes[i], columns: trainSupport[i].count),
                                     MatrixView(base: thetaTraining + trainSupport[i].lowerBound * n,
                                                rows: trainSupport[i].count, columns: width, leadingDimension: n),
                                     into: MutableMatrixView(base: rows, rows: querySizes[i], columns: width),
                                     alpha: -1, beta: 1)
                            }
                        }
                    }
                    let out = target.base + starts[tasks.lowerBound] * size
                    for (j, adaptation) in adaptations.enumerated() {
                        let (query, support, column) = (trainQuery[j], trainSupport[j], starts[j])
                        for r in 0..<chunkRows {
                            (out + r * size + column).update(from: l + r * width + query.lowerBound - training.lowerBound,
                                                             count: query.count)
                        }
                        adaptation.adaptedQueryMap.withUnsafeBufferPointer { b in
                            gemm(MatrixView(base: l + support.lowerBound - training.lowerBound, rows: chunkRows,
                                            columns: support.count, leadingDimension: width),
                                 MatrixView(base: b.baseAddress!, rows: query.count, columns: support.count), transposeB: true,
                                 into: MutableMatrixView(base: out + column, rows: chunkRows, columns: query.count,
                                                         leadingDimension: size),
                                 alpha: -1, beta: 1)
                        }
                    }
                }
            }
        }[0]
        phi.symmetrize()
        return phi
    }

    /// The first-order (FOMAML) outer matrix of the linearized network,
    ///
    ///     Φ^FO_ij = A_i·Θ(X̄_i, X_j) = Θ(X_i, X_j) − B_i·Θ(X'_i, X_j)      (Nn × Nn, not symmetric):
    ///
    /// FOMAML's outer step moves the parameters along Σ_j J(X_j)ᵀ·r_j, the query gradients at the
    /// adapted parameters, so the meta-output residuals r_i = F_i − Y_i follow r ← (I − η·Φ^FO)·r
    /// (MAML's Φ_ij = A_i·Θ(X̄_i, X̄_j)·A_jᵀ differentiates through the adaptation as well).
    public static func firstOrderMatrix(ntk: Matrix, points: StackedPoints, adaptations: [TaskAdaptation]) -> Matrix {
        let query = points.trainQuery, support = points.trainSupport
        let starts = query.map(\.count).reduce(into: [0]) { $0.append($0.last! + $1) }
        var result = Matrix(rows: starts.last!, columns: starts.last!)
        for (i, adaptation) in adaptations.enumerated() {
            for j in query.indices {
                var block = ntk.block(rows: query[i], columns: query[j])
                Matrix.multiplyAdd(into: &block, adaptation.adaptedQueryMap, ntk,
                                   bBlock: BlockRange(rows: support[i], columns: query[j]), alpha: -1, beta: 1)
                result.setBlock(block, at: starts[i], starts[j])
            }
        }
        return result
    }
}
