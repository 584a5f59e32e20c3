import LinearAlgebra

/// The per-point, per-pixel variances of a convolutional network, q^l_i[p] = Σ^l(x_i, x_i)[p, p]
/// for every hidden layer l, and their exact diagonal maps Σ̂^l_i[p], Σ̇^l_i[p]. The spatial
/// diagonal of a point's own kernel depends only on itself (a convolution maps the spatial
/// diagonal to itself), so this is the flatten engine run on the pairs (x_i, x_i): O(n·H·W·K·L).
///
/// Layout: index p·n + i (pixel-major), so that a run of points at one pixel is contiguous —
/// the run of q_j that the dual maps take for a row point x_i.
struct PixelVariances: Sendable {
    let count: Int
    /// variance[l − 1][p·n + i] = q^l_i[p], and its square root.
    let variance: [[Double]]
    let root: [[Double]]
    /// hat[l − 1][p·n + i] = Σ̂^l_i[p, p],  dot[l − 1][p·n + i] = Σ̇^l_i[p, p].
    let hat: [[Double]]
    let dot: [[Double]]

    init(_ x: Matrix, convolution: Convolution, layers: [KernelLayer], maps: ConvolutionalDualMaps) {
        let n = x.rows, pixels = convolution.pixels, c = convolution.channels
        let sites = OffsetClass(convolution, offsetY: 0, offsetX: 0)
        var state = [Double](repeating: 0, count: pixels * n)
        x.withUnsafeBufferPointer { xs in
            for i in 0..<n {
                for p in 0..<pixels {
                    let pixel = xs.baseAddress! + i * x.columns + p * c
                    var sum = 0.0
                    for k in 0..<c { sum += pixel[k] * pixel[k] }
                    state[p * n + i] = sum / Double(c)
                }
            }
        }
        var scratch = [Double](repeating: 0, count: pixels * n)
        var variance: [[Double]] = [], hat: [[Double]] = [], dot: [[Double]] = []
        let filterSize = Double(convolution.filterSize)
        for layer in layers {
            switch layer {
            case let .convolution(w, v):
                state.withUnsafeMutableBufferPointer { s in
                    scratch.withUnsafeMutableBufferPointer { t in
                        sites.convolve(s.baseAddress!, pairs: n, scale: w / filterSize, shift: v, addend: nil,
                                       scratch: t.baseAddress!)
                    }
                }
            case .activation:
                let (layerHat, layerDot) = maps.diagonals(state)
                variance.append(state)
                hat.append(layerHat)
                dot.append(layerDot)
                state = hat.last!
            default:
                preconditionFailure("per-pixel variances run the hidden layers only")
            }
        }
        count = n
        self.variance = variance
        root = variance.map { $0.map { $0.squareRoot() } }
        self.hat = hat
        self.dot = dot
    }
}
