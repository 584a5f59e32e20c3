import LinearAlgebra

/// The exact infinite-width kernels (NNGP, NTK, head, body) of a convolutional architecture:
/// the layer list of `KernelLayer` run over tiles of pairs.
///
/// Cost per pair: H·W·(2(Kh + Kw) + dual map)·L with a flatten readout (same-pixel sites only),
/// (H·W)²·(2(Kh + Kw) + dual map)·L with global average pooling (every pixel pair). Memory is
/// bounded: a tile of pairs sharing one row point runs one offset class (`OffsetClass`, at most
/// H·W sites) at a time, through all layers, in three buffers of `tileBudget` values per worker,
/// so the n²·(H·W)² array is never formed, nor even one pair's (H·W)² sites. Tiles run on all
/// cores; a symmetric call computes the upper triangle and mirrors it.
struct ConvolutionalKernels {
    let architecture: Architecture
    let convolution: Convolution
    let maps: ConvolutionalDualMaps

    /// Values per class buffer (Σ, Θ, scratch each): 16 K doubles, so that a tile's working set
    /// stays in the L2 cache while it runs through the layers.
    static let tileBudget = 1 << 14

    init(_ architecture: Architecture, _ convolution: Convolution, quadrature: QuadratureRule) {
        self.architecture = architecture
        self.convolution = convolution
        maps = ConvolutionalDualMaps(architecture.activation, quadrature: quadrature)
    }

    /// The kernels at every depth in `depths` (sorted, distinct, ≥ 1) from one pass.
    func kernels(_ x1: Matrix, _ x2: Matrix?, readoutDepths: [Int]) throws -> [Int: NetworkKernels] {
        try convolution.validate(inputDimension: x1.columns, set: "X1")
        if let x2 { try convolution.validate(inputDimension: x2.columns, set: "X2") }
        let deepest = readoutDepths.last!
        let hidden = KernelLayer.hiddenLayers(architecture, depth: deepest)
        let points1 = PixelVariances(x1, convolution: convolution, layers: hidden, maps: maps)
        let points2 = x2.map { PixelVariances($0, convolution: convolution, layers: hidden, maps: maps) } ?? points1
        let (n1, n2) = (x1.rows, x2?.rows ?? x1.rows)
        // Tiles of a multiple of 8 pairs starting at multiples of 4 keep the dual maps on their
        // widest vector path, and every pair but the last n2 mod 4 columns in a vector lane, in
        // every request; a symmetric row starts at the multiple of 4 below its diagonal (the few
        // lower-triangle pairs are overwritten by the mirror).
        let capacity = min(n2, max(8, (Self.tileBudget / convolution.pixels + 4) / 8 * 8))
        let tiles = (0..<n1).flatMap { i in
            stride(from: x2 == nil ? i / 4 * 4 : 0, to: n2, by: capacity).map {
                PairTile(row: i, columns: $0..<min(n2, $0 + capacity))
            }
        }
        let classes = OffsetClass.classes(of: convolution)
        let outputs = Matrix.producing(3 * readoutDepths.count, rows: n1, columns: n2) { pointers in
            let engine = ConvolutionalTileEngine(
                convolution: convolution, classes: classes, maps: maps, hidden: hidden,
                readout: KernelLayer.readoutLayers(architecture, convolution), readoutDepths: readoutDepths,
                x1: x1, pixelMajor2: Self.pixelMajor(x2 ?? x1, convolution), count2: n2,
                points1: points1, points2: points2, isSymmetric: x2 == nil, outputs: pointers.map(SharedPointer.init))
            ParallelLoop.forEachGuidedChunk(count: tiles.count, cost: { Double(tiles[$0].columns.count) }) {
                engine.run(tiles[$0], capacity: capacity)
            }
            if x2 == nil {
                for pointer in pointers { Matrix.mirrorUpperTriangle(pointer, size: n1) }
            }
        }
        var result: [Int: NetworkKernels] = [:]
        for (k, depth) in readoutDepths.enumerated() {
            let (nngp, ntk, body) = (outputs[3 * k], outputs[3 * k + 1], outputs[3 * k + 2])
            guard nngp.allFinite, ntk.allFinite, body.allFinite else {
                throw KernelInputError.nonFiniteKernel(
                    depth: depth, hint: "reduce the weight or bias standard deviations, the input scale, or the depth")
            }
            result[depth] = NetworkKernels(depth: depth, nngp: nngp, ntk: ntk, head: nngp, body: body)
        }
        return result
    }

    /// The images of `x` pixel-major, [p][j][c]: a run of points at one pixel is contiguous.
    static func pixelMajor(_ x: Matrix, _ convolution: Convolution) -> [Double] {
        let (n, pixels, c) = (x.rows, convolution.pixels, convolution.channels)
        var result = [Double](repeating: 0, count: x.rows * x.columns)
        x.withUnsafeBufferPointer { source in
            for j in 0..<n {
                for p in 0..<pixels {
                    for m in 0..<c { result[(p * n + j) * c + m] = source[j * x.columns + p * c + m] }
                }
            }
        }
        return result
    }
}
