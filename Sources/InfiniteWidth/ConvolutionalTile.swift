import LinearAlgebra

/// A block of pairs (x1_i, x2_j) that share the row point x1_i, j ∈ `columns`.
struct PairTile: Sendable {
    let row: Int
    let columns: Range<Int>
}

/// The buffers one worker reuses from tile to tile: Σ and Θ at every site for every pair of a
/// tile (layout site·T + k), scratch for the convolution, per-run dual-map outputs, and (global
/// average pooling) the input layer's pixel-pair products.
final class TileWorkspace {
    let capacity: Int
    let sigma: UnsafeMutablePointer<Double>
    let theta: UnsafeMutablePointer<Double>
    let scratch: UnsafeMutablePointer<Double>
    let hat: UnsafeMutablePointer<Double>
    let dot: UnsafeMutablePointer<Double>
    let determinant: UnsafeMutablePointer<Double>
    var products: Matrix

    init(sites: Int, pairs: Int, productRows: Int) {
        capacity = pairs
        sigma = .allocate(capacity: sites * pairs)
        theta = .allocate(capacity: sites * pairs)
        scratch = .allocate(capacity: sites * pairs)
        hat = .allocate(capacity: pairs)
        dot = .allocate(capacity: pairs)
        determinant = .allocate(capacity: pairs)
        products = Matrix(rows: productRows, columns: productRows > 0 ? pairs * productRows : 0)
    }

    deinit {
        for buffer in [sigma, theta, scratch, hat, dot, determinant] { buffer.deallocate() }
    }
}

/// The layer list of `KernelLayer` applied to one tile at a time, all layers in one pass,
/// writing the readout at every requested depth.
struct ConvolutionalTileEngine: @unchecked Sendable {
    let convolution: Convolution
    let sites: SpatialSites
    let maps: ConvolutionalDualMaps
    let hidden: [KernelLayer]
    let readout: [KernelLayer]
    let readoutDepths: [Int]
    let x1: Matrix
    let x2: Matrix
    let points1: PixelVariances
    let points2: PixelVariances
    let isSymmetric: Bool
    /// Per readout depth: nngp, ntk, body (head = nngp in NTK parameterization).
    let outputs: SharedPointers
    /// The pixels (p, p') of every site, and the sites with p = p'.
    let sitePixels: [(Int, Int)]
    let diagonalSites: [Int]

    /// Runs `tiles` with one workspace.
    func run(_ tiles: ArraySlice<PairTile>, capacity: Int) {
        let workspace = TileWorkspace(sites: sites.count, pairs: capacity,
                                      productRows: sites.paired ? convolution.pixels : 0)
        for tile in tiles { run(tile, workspace) }
    }

    private func run(_ tile: PairTile, _ ws: TileWorkspace) {
        let pairs = tile.columns.count
        loadInput(tile, ws)
        var readoutIndex = 0, thetaIsZero = true
        for layer in hidden {
            switch layer {
            case let .convolution(w, v):
                let scale = w / Double(convolution.filterSize)
                sites.convolve(ws.sigma, pairs: pairs, scale: scale, shift: v, addend: nil, scratch: ws.scratch)
                if thetaIsZero {
                    ws.theta.update(from: ws.sigma, count: sites.count * pairs)   // Θ¹ = Σ¹
                    thetaIsZero = false
                } else {
                    sites.convolve(ws.theta, pairs: pairs, scale: scale, shift: 0, addend: ws.sigma, scratch: ws.scratch)
                }
            case let .activation(l):
                activate(tile, ws, layer: l)
                if readoutIndex < readoutDepths.count, readoutDepths[readoutIndex] == l {
                    writeReadout(tile, ws, index: readoutIndex)
                    readoutIndex += 1
                }
            default:
                preconditionFailure("hidden layers are convolutions and activations")
            }
        }
    }

    /// Σ⁰[p, p'] = x_i[p]·x_j[p']/C at every site; Θ⁰ = 0 (implicit).
    private func loadInput(_ tile: PairTile, _ ws: TileWorkspace) {
        let pairs = tile.columns.count, c = convolution.channels, pixels = convolution.pixels
        let scale = 1 / Double(c)
        if sites.paired {
            // One BLAS product: the row image's pixels (HW × C) against every pixel of the
            // tile's images (T·HW × C), giving products[p][k·HW + p'].
            let first = Matrix(rows: pixels, columns: c, elements: Array(x1.row(tile.row)))
            let second = Matrix(rows: pairs * pixels, columns: c,
                                elements: Array(x2.elements[(tile.columns.lowerBound * x2.columns)..<(tile.columns.upperBound * x2.columns)]))
            Matrix.multiplyAdd(into: &ws.products, at: BlockRange(rows: 0..<pixels, columns: 0..<(pairs * pixels)),
                               first, second, transposeB: true, alpha: scale)
            ws.products.withUnsafeBufferPointer { g in
                let width = ws.products.columns
                for (s, (p, q)) in sitePixels.enumerated() {
                    let out = ws.sigma + s * pairs, source = g.baseAddress! + p * width + q
                    for k in 0..<pairs { out[k] = source[k * pixels] }
                }
            }
        } else {
            x1.withUnsafeBufferPointer { a in
                x2.withUnsafeBufferPointer { b in
                    let row = a.baseAddress! + tile.row * x1.columns
                    for p in 0..<pixels {
                        let out = ws.sigma + p * pairs, pixel = row + p * c
                        for k in 0..<pairs {
                            let other = b.baseAddress! + (tile.columns.lowerBound + k) * x2.columns + p * c
                            var sum = 0.0
                            for m in 0..<c { sum += pixel[m] * other[m] }
                            out[k] = sum * scale
                        }
                    }
                }
            }
        }
    }

    /// Σ ← Σ̂(Σ), Θ ← Σ̇(Σ) ⊙ Θ at every site, one dual-map run per site (the row point's
    /// variance at p against the tile's points' variances at p'). The pair (x_i, x_i) of a
    /// symmetric call takes the exact diagonal maps on the spatial diagonal.
    private func activate(_ tile: PairTile, _ ws: TileWorkspace, layer l: Int) {
        let pairs = tile.columns.count, i = tile.row, j0 = tile.columns.lowerBound
        let diagonalPair = isSymmetric && tile.columns.contains(i) ? i - j0 : nil
        let n1 = points1.count, n2 = points2.count
        let q1 = points1.variance[l - 1], root1 = points1.root[l - 1]
        points2.variance[l - 1].withUnsafeBufferPointer { q2 in
            points2.root[l - 1].withUnsafeBufferPointer { root2 in
                for (s, (p, q)) in sitePixels.enumerated() {
                    let sigma = ws.sigma + s * pairs, theta = ws.theta + s * pairs
                    let onDiagonal = diagonalPair != nil && p == q
                    if onDiagonal { sigma[diagonalPair!] = q1[p * n1 + i] }
                    maps.pairs(count: pairs, qi: q1[p * n1 + i], rootQi: root1[p * n1 + i],
                               qj: q2.baseAddress! + q * n2 + j0, rootQj: root2.baseAddress! + q * n2 + j0,
                               sigma: sigma, determinant: ws.determinant, sigmaHat: ws.hat, sigmaDot: ws.dot)
                    if onDiagonal {
                        ws.hat[diagonalPair!] = points1.hat[l - 1][p * n1 + i]
                        ws.dot[diagonalPair!] = points1.dot[l - 1][p * n1 + i]
                    }
                    for k in 0..<pairs {
                        sigma[k] = ws.hat[k]
                        theta[k] *= ws.dot[k]
                    }
                }
            }
        }
    }

    /// The readout layers (pooling over the sites, then the dense output layer) written to the
    /// outputs of readout depth `index`.
    private func writeReadout(_ tile: PairTile, _ ws: TileWorkspace, index: Int) {
        let pairs = tile.columns.count
        var nngp = [Double](repeating: 0, count: pairs), tangent = nngp, body = nngp
        for layer in readout {
            switch layer {
            case .flatten, .globalAveragePool:
                // The state holds exactly the sites the pooling averages over.
                for s in 0..<sites.count {
                    let sigma = ws.sigma + s * pairs, theta = ws.theta + s * pairs
                    for k in 0..<pairs {
                        nngp[k] += sigma[k]
                        tangent[k] += theta[k]
                    }
                }
                let mean = 1 / Double(sites.count)
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
        let offset = tile.row * x2.rows + tile.columns.lowerBound
        let outNNGP = outputs.bases[3 * index] + offset, outNTK = outputs.bases[3 * index + 1] + offset
        let outBody = outputs.bases[3 * index + 2] + offset
        for k in 0..<pairs {
            outNNGP[k] = nngp[k]
            outNTK[k] = tangent[k]
            outBody[k] = body[k]
        }
    }
}
