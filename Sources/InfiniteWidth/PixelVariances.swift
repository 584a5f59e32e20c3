import LinearAlgebra

/// The per-point, per-pixel variances of a convolutional network, q^l_i[p] = Σ^l(x_i, x_i)[p, p]
/// for every hidden layer l, and their square roots (the exact diagonal maps Σ̂^l_i[p], Σ̇^l_i[p]
/// of a row point are `diagonalMaps(point:layer:maps:)`, formed where a tile needs them). The spatial
/// diagonal of a point's own kernel depends only on itself (a convolution maps the spatial
/// diagonal to itself), so this is the flatten engine run on the pairs (x_i, x_i): O(n·H·W·K·L),
/// on all cores, a chunk of points per worker (each point's values are the same whichever chunk
/// holds it: every operation is per point).
///
/// Layout: index p·n + i (pixel-major), so that a run of points at one pixel is contiguous —
/// the run of q_j that the dual maps take for a row point x_i.
struct PixelVariances: Sendable {
    let count: Int
    /// variance[l − 1][p·n + i] = q^l_i[p], and its square root.
    let variance: [[Double]]
    let root: [[Double]]

    init(_ x: Matrix, convolution: Convolution, layers: [KernelLayer], maps: ConvolutionalDualMaps) {
        let depth = layers.filter { if case .activation = $0 { true } else { false } }.count
        // Two kinds per hidden layer (variance, root), written by the workers in place.
        let kinds = Matrix.producing(2 * depth, rows: convolution.pixels, columns: x.rows) { pointers in
            let outputs = pointers.map(SharedPointer.init)
            ParallelLoop.forEachChunk(count: x.rows) { points in
                Self.run(points, of: x, convolution, layers, maps, into: outputs)
            }
        }
        count = x.rows
        variance = (0..<depth).map { kinds[2 * $0].elements }
        root = (0..<depth).map { kinds[2 * $0 + 1].elements }
    }

    /// Σ̂^l_i[p, p] and Σ̇^l_i[p, p] of point i at every pixel p (the maps are elementwise, so
    /// these are the values the recursion above continued with).
    func diagonalMaps(point i: Int, layer l: Int, maps: ConvolutionalDualMaps) -> (hat: [Double], dot: [Double]) {
        let q = variance[l - 1]
        return maps.diagonals(stride(from: i, to: q.count, by: count).map { q[$0] })
    }

    /// The layers for the points `points` of `x`, pixel-major in a chunk-sized state, each hidden
    /// layer's variance and root copied out to `outputs[2·(l − 1)]`, `outputs[2·(l − 1) + 1]` at p·n + i.
    private static func run(_ points: Range<Int>, of x: Matrix, _ convolution: Convolution, _ layers: [KernelLayer],
                            _ maps: ConvolutionalDualMaps, into outputs: [SharedPointer<Double>]) {
        let (n, m, pixels, c) = (x.rows, points.count, convolution.pixels, convolution.channels)
        var state = [Double](repeating: 0, count: pixels * m)
        x.withUnsafeBufferPointer { xs in
            for (k, i) in points.enumerated() {
                for p in 0..<pixels {
                    let pixel = xs.baseAddress! + i * x.columns + p * c
                    var sum = 0.0
                    for channel in 0..<c { sum += pixel[channel] * pixel[channel] }
                    state[p * m + k] = sum / Double(c)
                }
            }
        }
        let sites = OffsetClass(convolution, offsetY: 0, offsetX: 0)
        var scratch = [Double](repeating: 0, count: pixels * m)
        var layerIndex = 0
        func store(_ values: [Double]) {
            let variance = outputs[2 * layerIndex].base + points.lowerBound
            let root = outputs[2 * layerIndex + 1].base + points.lowerBound
            values.withUnsafeBufferPointer { q in
                for p in 0..<pixels {
                    for k in 0..<m {
                        variance[p * n + k] = q[p * m + k]
                        root[p * n + k] = q[p * m + k].squareRoot()
                    }
                }
            }
        }
        for layer in layers {
            switch layer {
            case let .convolution(w, v):
                state.withUnsafeMutableBufferPointer { s in
                    scratch.withUnsafeMutableBufferPointer { t in
                        sites.convolve(s.baseAddress!, pairs: m, scale: w / Double(convolution.filterSize), shift: v,
                                       addend: nil, scratch: t.baseAddress!)
                    }
                }
            case .activation:
                store(state)
                state = maps.diagonals(state).hat
                layerIndex += 1
            default:
                preconditionFailure("per-pixel variances run the hidden layers only")
            }
        }
    }
}
