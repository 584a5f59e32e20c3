import CNumerics
import LinearAlgebra

/// A block of pairs (x1_i, x2_j) that share the row point x1_i, j ∈ `columns`.
struct PairTile: Sendable {
    let row: Int
    let columns: Range<Int>
}

/// The buffers one worker reuses from tile to tile: Σ and Θ of one offset class of a tile
/// (layout site·T + k, at most H·W sites) with the next layer's pair (a convolution writes
/// out of place, then the two swap), convolution scratch, the dual maps' outputs for one run,
/// and the readout sums of every requested depth.
final class TileWorkspace {
    private(set) var sigma: UnsafeMutablePointer<Double>
    private(set) var theta: UnsafeMutablePointer<Double>
    private(set) var nextSigma: UnsafeMutablePointer<Double>
    private(set) var nextTheta: UnsafeMutablePointer<Double>
    let scratch: UnsafeMutablePointer<Double>
    let hat: UnsafeMutablePointer<Double>
    let dot: UnsafeMutablePointer<Double>
    let determinant: UnsafeMutablePointer<Double>
    /// sums[2·d] = Σ_sites Σ̂, sums[2·d + 1] = Σ_sites Σ̇ ⊙ Θ at readout depth d, T values each.
    let sums: UnsafeMutablePointer<Double>

    init(sites: Int, pairs: Int, readouts: Int) {
        sigma = .allocate(capacity: sites * pairs)
        theta = .allocate(capacity: sites * pairs)
        nextSigma = .allocate(capacity: sites * pairs)
        nextTheta = .allocate(capacity: sites * pairs)
        scratch = .allocate(capacity: sites * pairs + 16 * sites)   // ≥ OffsetClass.convolve's needs
        hat = .allocate(capacity: pairs)
        dot = .allocate(capacity: pairs)
        determinant = .allocate(capacity: pairs)
        sums = .allocate(capacity: 2 * readouts * pairs)
    }

    /// Makes the next layer's Σ and Θ the current ones.
    func swapLayers() {
        swap(&sigma, &nextSigma)
        swap(&theta, &nextTheta)
    }

    deinit {
        for buffer in [sigma, theta, nextSigma, nextTheta, scratch, hat, dot, determinant, sums] { buffer.deallocate() }
    }
}

/// The layer list of `KernelLayer` applied to one tile of pairs at a time: every offset class
/// runs through all hidden layers in cache-sized buffers and adds its sites to the readout sums
/// of each requested depth; the readout layers (pooling, dense) then finish each depth.
struct ConvolutionalTileEngine: @unchecked Sendable {
    let convolution: Convolution
    let classes: [OffsetClass]
    let maps: ConvolutionalDualMaps
    let hidden: [KernelLayer]
    let readout: [KernelLayer]
    let readoutDepths: [Int]
    let x1: Matrix
    /// X2 pixel-major, [p][j][c], so that a run of points at one pixel is contiguous.
    let pixelMajor2: [Double]
    let count2: Int
    let points1: PixelVariances
    let points2: PixelVariances
    let isSymmetric: Bool
    /// Per readout depth: nngp, ntk, body (head = nngp in NTK parameterization).
    let outputs: [SharedPointer<Double>]

    /// The sites a pooling layer averages over: H·W (flatten) or (H·W)² (global average pooling).
    var pooledSites: Int { classes.reduce(0) { $0 + $1.count } }

    /// Runs `tiles` with one workspace.
    func run(_ tiles: ArraySlice<PairTile>, capacity: Int) {
        let workspace = TileWorkspace(sites: convolution.pixels, pairs: capacity, readouts: readoutDepths.count)
        for tile in tiles { run(tile, workspace) }
    }

    private func run(_ tile: PairTile, _ ws: TileWorkspace) {
        let pairs = tile.columns.count
        ws.sums.update(repeating: 0, count: 2 * readoutDepths.count * pairs)
        for offsetClass in classes {
            loadInput(tile, offsetClass, ws)
            var readoutIndex = 0, thetaIsZero = true
            for layer in hidden {
                switch layer {
                case let .convolution(w, v):
                    offsetClass.convolve(sigma: ws.sigma, theta: thetaIsZero ? nil : ws.theta, pairs: pairs,
                                         scale: w / Double(convolution.filterSize), shift: v,
                                         into: ws.nextSigma, ws.nextTheta, scratch: ws.scratch)
                    ws.swapLayers()
                    thetaIsZero = false
                case let .activation(l):
                    activate(tile, offsetClass, ws, layer: l)
                    if readoutIndex < readoutDepths.count, readoutDepths[readoutIndex] == l {
                        accumulate(offsetClass, ws, pairs: pairs, index: readoutIndex)
                        readoutIndex += 1
                    }
                default:
                    preconditionFailure("hidden layers are convolutions and activations")
                }
            }
        }
        for index in readoutDepths.indices { writeReadout(tile, ws, index: index) }
    }

    /// Σ⁰[p, p'] = x_i[p]·x_j[p']/C at every site of the class; Θ⁰ = 0 (implicit).
    private func loadInput(_ tile: PairTile, _ offsetClass: OffsetClass, _ ws: TileWorkspace) {
        let c = convolution.channels
        x1.withUnsafeBufferPointer { a in
        pixelMajor2.withUnsafeBufferPointer { b in
        offsetClass.firstPixel.withUnsafeBufferPointer { first in
        offsetClass.secondPixel.withUnsafeBufferPointer { second in
            ntkb_conv_input_products(offsetClass.count, tile.columns.count, c, first.baseAddress!, second.baseAddress!,
                                     a.baseAddress! + tile.row * x1.columns,
                                     b.baseAddress! + tile.columns.lowerBound * c, count2 * c, ws.sigma)
        }
        }
        }
        }
    }

    /// Σ ← Σ̂(Σ), Θ ← Σ̇(Σ) ⊙ Θ at every site, one dual-map run per site (the row point's
    /// variance at p against the tile's points' variances at p'). The pair (x_i, x_i) of a
    /// symmetric call takes the exact diagonal maps at its same-pixel sites (the class (0, 0)).
    private func activate(_ tile: PairTile, _ offsetClass: OffsetClass, _ ws: TileWorkspace, layer l: Int) {
        let pairs = tile.columns.count, i = tile.row, j0 = tile.columns.lowerBound
        let diagonalPair = isSymmetric && offsetClass.isSamePixel && tile.columns.contains(i) ? i - j0 : nil
        let n1 = points1.count, n2 = points2.count, maps = self.maps
        if case let .abReLU(a, b) = maps.dual.form {
            activateABReLU(tile, offsetClass, ws, layer: l, a: a, b: b, diagonalPair: diagonalPair)
            return
        }
        let exactMaps = diagonalPair == nil ? nil : points1.diagonalMaps(point: i, layer: l, maps: maps)
        points1.variance[l - 1].withUnsafeBufferPointer { q1 in
        points1.root[l - 1].withUnsafeBufferPointer { root1 in
        points2.variance[l - 1].withUnsafeBufferPointer { q2 in
        points2.root[l - 1].withUnsafeBufferPointer { root2 in
            for s in 0..<offsetClass.count {
                let p = offsetClass.firstPixel[s], q = offsetClass.secondPixel[s]
                let sigma = ws.sigma + s * pairs, theta = ws.theta + s * pairs
                let exact = diagonalPair != nil && p == q
                if exact { sigma[diagonalPair!] = q1[p * n1 + i] }
                maps.pairs(count: pairs, qi: q1[p * n1 + i], rootQi: root1[p * n1 + i],
                           qj: q2.baseAddress! + q * n2 + j0, rootQj: root2.baseAddress! + q * n2 + j0,
                           sigma: sigma, determinant: ws.determinant, sigmaHat: ws.hat, sigmaDot: ws.dot)
                if exact {
                    ws.hat[diagonalPair!] = exactMaps!.hat[p]
                    ws.dot[diagonalPair!] = exactMaps!.dot[p]
                }
                ntkb_activation_update(pairs, ws.hat, ws.dot, sigma, theta)
            }
        }
        }
        }
        }
    }

    /// `activate` for the ABReLU family (ReLU, leaky ReLU, …): every site of the tile in one fused
    /// call (det, dual maps and update), with the same arithmetic as the per-site path.
    private func activateABReLU(_ tile: PairTile, _ offsetClass: OffsetClass, _ ws: TileWorkspace, layer l: Int,
                                a: Double, b: Double, diagonalPair: Int?) {
        let pairs = tile.columns.count, i = tile.row, j0 = tile.columns.lowerBound
        let n1 = points1.count, n2 = points2.count
        let exactMaps = diagonalPair == nil ? ([0], [0]) : points1.diagonalMaps(point: i, layer: l, maps: maps)
        offsetClass.firstPixel.withUnsafeBufferPointer { first in
        offsetClass.secondPixel.withUnsafeBufferPointer { second in
        points1.root[l - 1].withUnsafeBufferPointer { root1 in
        points2.root[l - 1].withUnsafeBufferPointer { root2 in
        exactMaps.0.withUnsafeBufferPointer { hat in
        exactMaps.1.withUnsafeBufferPointer { dot in
            ntkb_conv_abrelu_activate(offsetClass.count, pairs, a, b, first.baseAddress!, second.baseAddress!,
                                      root1.baseAddress! + i, n1, root2.baseAddress! + j0, n2, diagonalPair ?? -1,
                                      hat.baseAddress!, dot.baseAddress!, ws.sigma, ws.theta)
        }
        }
        }
        }
        }
        }
    }

    /// Adds the class's sites to the readout sums of depth `index`.
    private func accumulate(_ offsetClass: OffsetClass, _ ws: TileWorkspace, pairs: Int, index: Int) {
        let sumSigma = ws.sums + 2 * index * pairs
        ntkb_conv_add_sites(offsetClass.count, pairs, ws.sigma, ws.theta, sumSigma, sumSigma + pairs)
    }

    /// The readout layers (pooling = the mean over the pooled sites, then the dense output
    /// layer) written to the outputs of readout depth `index`.
    private func writeReadout(_ tile: PairTile, _ ws: TileWorkspace, index: Int) {
        let pairs = tile.columns.count
        let nngp = ws.sums + 2 * index * pairs, tangent = nngp + pairs
        let offset = tile.row * count2 + tile.columns.lowerBound
        let outNNGP = outputs[3 * index].base + offset, outNTK = outputs[3 * index + 1].base + offset
        let body = outputs[3 * index + 2].base + offset
        for layer in readout {
            switch layer {
            case .flatten, .globalAveragePool:
                // The classes hold exactly the sites this pooling averages over.
                let mean = 1 / Double(pooledSites)
                for k in 0..<pairs {
                    nngp[k] *= mean
                    tangent[k] *= mean
                }
            case let .dense(w, v):
                for k in 0..<pairs {
                    body[k] = w * tangent[k]
                    nngp[k] = w * nngp[k] + v
                    tangent[k] = nngp[k] + body[k]
                }
            default:
                preconditionFailure("readout layers are a pooling and a dense layer")
            }
        }
        outNNGP.update(from: nngp, count: pairs)
        outNTK.update(from: tangent, count: pairs)
    }
}
