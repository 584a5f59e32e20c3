import LinearAlgebra

/// The NNGP/NTK recursion of theory.md §1 for one architecture.
///
/// Every pair (x_i, x_j) runs through all layers on its own once the per-point variances q^l are
/// known, so the recursion works row by row in cache-sized buffers, in parallel, and writes only
/// the readouts that were asked for: a depth sweep costs one pass to the deepest depth. A
/// symmetric call (X2 omitted) computes the upper triangle, uses the exact diagonal maps on
/// the diagonal, and mirrors the result.
public struct KernelRecursion: Sendable {
    public let architecture: Architecture
    public let quadrature: QuadratureRule
    let dual: DualActivation

    public init(_ architecture: Architecture, quadrature: QuadratureRule = .trapezoid) {
        self.architecture = architecture
        self.quadrature = quadrature
        dual = DualActivation(architecture.activation, quadrature: quadrature)
    }

    /// The kernels at `architecture.depth` between the rows of `x1` and of `x2`
    /// (of `x1` with itself when `x2` is nil).
    public func kernels(_ x1: Matrix, _ x2: Matrix? = nil) throws -> NetworkKernels {
        try kernels(x1, x2, depths: [architecture.depth])[0]
    }

    /// The kernels at every depth in `depths` (`architecture.depth` is ignored), in that order,
    /// from one pass through the layers.
    public func kernels(_ x1: Matrix, _ x2: Matrix? = nil, depths: [Int]) throws -> [NetworkKernels] {
        try validate(x1, x2, depths: depths)
        let readoutDepths = Array(Set(depths)).sorted()
        let geometry = InputGeometry(x1: x1, x2: x2)
        let layers = LayerRecursion(architecture, inputDimension: x1.columns)
        let deepest = readoutDepths.last!
        let diagonal1 = DiagonalRecursion(squaredNorms: geometry.squaredNorms1, depth: deepest,
                                          layers: layers, dual: dual)
        let diagonal2 = geometry.isSymmetric ? diagonal1
            : DiagonalRecursion(squaredNorms: geometry.squaredNorms2, depth: deepest, layers: layers, dual: dual)

        let (n1, n2) = (geometry.count1, geometry.count2)
        let perDepth = layers.headIsNNGP ? 3 : 4   // nngp, ntk, body (and head)
        var overflowDepth = [Int](repeating: 0, count: n1)
        let outputs = Matrix.producing(perDepth * readoutDepths.count, rows: n1, columns: n2) { pointers in
            overflowDepth.withUnsafeMutableBufferPointer { overflow in
                let recursion = RowRecursion(geometry: geometry, layers: layers, dual: dual,
                                             diagonal1: diagonal1, diagonal2: diagonal2,
                                             readoutDepths: readoutDepths, deepest: deepest,
                                             outputs: pointers.map(SharedPointer.init), overflow: .init(overflow.baseAddress!))
                // All work on the workers: OpenBLAS single-threaded inside them, so that no BLAS
                // thread spins for work beside them.
                BLASBackend.withThreadCount(1) {
                    ParallelLoop.forEachChunk(count: n1, cost: { Double(geometry.isSymmetric ? n2 - $0 : n2) }) {
                        recursion.run(rows: $0)
                    }
                }
            }
            if geometry.isSymmetric {
                for pointer in pointers { Matrix.mirrorUpperTriangle(pointer, size: n1) }
            }
        }
        if let depth = overflowDepth.filter({ $0 > 0 }).min() {
            throw KernelInputError.nonFiniteKernel(
                depth: depth, hint: "reduce --w-std, --b-std or the input scale, or the depth")
        }
        let byDepth = Dictionary(uniqueKeysWithValues: readoutDepths.enumerated().map { k, depth in
            let base = perDepth * k
            return (depth, NetworkKernels(depth: depth, nngp: outputs[base], ntk: outputs[base + 1],
                                          head: layers.headIsNNGP ? outputs[base] : outputs[base + 3],
                                          body: outputs[base + 2]))
        })
        return depths.map { byDepth[$0]! }
    }

    private func validate(_ x1: Matrix, _ x2: Matrix?, depths: [Int]) throws {
        guard !depths.isEmpty, depths.allSatisfy({ $0 >= 1 }) else { throw KernelInputError.invalidDepths(depths) }
        for (name, x) in [("X1", x1), ("X2", x2)] {
            guard let x else { continue }
            guard x.rows > 0 else { throw KernelInputError.noPoints(set: name) }
            guard x.columns > 0 else { throw KernelInputError.noFeatures(set: name) }
            if let (row, column) = x.firstNonFinite() {
                throw KernelInputError.nonFiniteInput(set: name, row: row, column: column)
            }
        }
        if let x2, x2.columns != x1.columns {
            throw KernelInputError.dimensionMismatch(firstSet: "X1", firstDimension: x1.columns,
                                                     secondSet: "X2", secondDimension: x2.columns)
        }
    }
}
