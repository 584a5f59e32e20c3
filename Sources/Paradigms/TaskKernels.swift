/// The `Paradigms` module implements theory.md §4–§6: the meta-induced kernel Φ and predictor of
/// GBML (MAML, ANIL), the MTL kernel Θ_MTL and predictor, and the closeness of the two (distances
/// between predictors, their summaries and rate fits).
import FewShot
import InfiniteWidth
import LinearAlgebra

/// The kernels of a whole task set: one symmetric kernel call on every stacked point
/// (`StackedPoints`), from which the predictors read their blocks.
public struct TaskKernels: Sendable {
    public let points: StackedPoints
    public let kernels: NetworkKernels

    public init(points: StackedPoints, kernels: NetworkKernels) {
        precondition([kernels.nngp, kernels.ntk, kernels.head, kernels.body].allSatisfy { $0.isEmpty || $0.rows == points.inputs.rows },
                     "kernels and points do not match")
        self.points = points
        self.kernels = kernels
    }

    /// The kernels of `architecture` on the task set; `kinds` limits them to those a predictor
    /// reads (`TaskKernels.kinds(for:)`; the others are left empty).
    public init(tasks: TaskSet, architecture: Architecture, quadrature: QuadratureRule = .trapezoid,
                kinds: KernelKinds = .all) throws {
        let points = StackedPoints(tasks)
        let recursion = KernelRecursion(architecture, quadrature: quadrature)
        self.init(points: points, kernels: try recursion.kernels(points.inputs, depths: [architecture.depth],
                                                                 rows: 0..<points.inputs.rows, kinds: kinds)[0])
    }

    /// The kernels a predictor reads: MAML Θ alone (Φ and κ = Θ); ANIL Θ and K (κ = K); MTL
    /// Θ_body and K (Θ_MTL, the new head's outputs and its fine-tuning).
    public static func kinds(for method: GBMLMethod?) -> KernelKinds {
        switch method {
        case .maml: return .ntk
        case .anil: return [.ntk, .head]
        case nil: return [.body, .head]
        }
    }

    /// The kernels at every depth in `depths`, from one pass through the layers.
    public static func depthSweep(tasks: TaskSet, architecture: Architecture, depths: [Int],
                                  quadrature: QuadratureRule = .trapezoid) throws -> [TaskKernels] {
        let points = StackedPoints(tasks)
        return try KernelRecursion(architecture, quadrature: quadrature).kernels(points.inputs, depths: depths)
            .map { TaskKernels(points: points, kernels: $0) }
    }

    /// Θ(𝒳̄, 𝒳̄) restricted to the training query points 𝒳 = [X_1; …; X_N] (its conditioning
    /// governs the closeness rates, theory.md §6).
    public var trainingQueryNTK: Matrix {
        let rows = points.trainQuery
        let size = rows.reduce(0) { $0 + $1.count }
        var result = Matrix(rows: size, columns: size)
        var r = 0
        for a in rows {
            var c = 0
            for b in rows {
                result.setBlock(kernels.ntk.block(rows: a, columns: b), at: r, c)
                c += b.count
            }
            r += a.count
        }
        return result
    }
}
