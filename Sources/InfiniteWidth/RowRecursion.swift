import LinearAlgebra

/// The recursion of `LayerRecursion` run for the pairs of whole rows (x_i, X2), through every
/// layer, in buffers that stay in cache.
struct RowRecursion: Sendable {
    let geometry: InputGeometry
    let layers: LayerRecursion
    let dual: DualActivation
    let diagonal1: DiagonalRecursion
    let diagonal2: DiagonalRecursion
    let readoutDepths: [Int]
    let deepest: Int
    /// Per readout depth: nngp, ntk, body (and head in standard parameterization).
    let outputs: [SharedPointer<Double>]
    /// Per row: the first depth whose readout was not finite (0 if none).
    let overflow: SharedPointer<Int>

    /// Rows whose inner products one BLAS call computes.
    static let rowsPerProduct = 32

    /// Runs the rows in `rows`, with buffers reused from row to row: the inner products of up to
    /// `rowsPerProduct` rows at a time (one BLAS call), and the row's recursion state.
    func run(rows: Range<Int>) {
        let width = geometry.count2
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 6 * width)
        defer { scratch.deallocate() }
        var products = Matrix(rows: min(rows.count, Self.rowsPerProduct), columns: width)
        for blockStart in stride(from: rows.lowerBound, to: rows.upperBound, by: Self.rowsPerProduct) {
            let block = blockStart..<min(rows.upperBound, blockStart + Self.rowsPerProduct)
            let firstColumn = geometry.isSymmetric ? blockStart : 0
            geometry.innerProducts(rows: block, firstColumn: firstColumn, into: &products)
            products.withUnsafeBufferPointer { g in
                for i in block {
                    let start = geometry.isSymmetric ? i : 0
                    let row = g.baseAddress! + (i - blockStart) * width + (start - firstColumn)
                    run(row: i, innerProducts: row, scratch: scratch, width: width)
                }
            }
        }
    }

    private func run(row i: Int, innerProducts: UnsafePointer<Double>, scratch: UnsafeMutablePointer<Double>, width: Int) {
        let start = geometry.isSymmetric ? i : 0
        let count = width - start
        let sigma = scratch, theta = scratch + width, hat = scratch + 2 * width, dot = scratch + 3 * width
        var det = scratch + 4 * width, nextDet = scratch + 5 * width
        loadFirstLayer(row: i, innerProducts: innerProducts, start: start, count: count,
                       sigma: sigma, theta: theta, determinant: dual.carriesDeterminant ? det : nil)
        var readout = 0
        for l in 1...deepest {
            let carry = dual.carriesDeterminant && l < deepest
            diagonal2.variance[l - 1].withUnsafeBufferPointer { qj in
                diagonal2.root[l - 1].withUnsafeBufferPointer { rootQj in
                    dual.pairs(count: count, qi: diagonal1.variance[l - 1][i], rootQi: diagonal1.root[l - 1][i],
                               qj: qj.baseAddress! + start, rootQj: rootQj.baseAddress! + start, sigma: sigma,
                               determinant: dual.carriesDeterminant ? det : nil, sigmaHat: hat, sigmaDot: dot,
                               nextDeterminant: carry ? nextDet : nil,
                               weightVariance: layers.weightVariance, biasVariance: layers.biasVariance)
                }
            }
            if geometry.isSymmetric {
                // The exact diagonal maps, the same values that produced q^{l+1}.
                hat[0] = diagonal1.hat[l - 1][i]
                dot[0] = diagonal1.dot[l - 1][i]
                if carry { nextDet[0] = 0 }
            }
            if readout < readoutDepths.count && readoutDepths[readout] == l {
                writeReadout(index: readout, depth: l, row: i, start: start, count: count, hat: hat, dot: dot, theta: theta)
                readout += 1
            }
            if l < deepest {
                for k in 0..<count {
                    let next = layers.nextCovariance(hat[k])
                    theta[k] = layers.ownTangent(hat: hat[k], nextCovariance: next) + layers.weightVariance * dot[k] * theta[k]
                    sigma[k] = next
                }
                if carry { swap(&det, &nextDet) }
            }
        }
    }

    /// Σ¹, Θ¹ and (for the ABReLU family) det¹ of the row segment.
    private func loadFirstLayer(row i: Int, innerProducts g: UnsafePointer<Double>, start: Int, count: Int,
                                sigma: UnsafeMutablePointer<Double>, theta: UnsafeMutablePointer<Double>,
                                determinant: UnsafeMutablePointer<Double>?) {
        let q1 = diagonal1.variance[0][i]
        for k in 0..<count {
            sigma[k] = layers.firstCovariance(innerProduct: g[k])
            theta[k] = layers.firstTangent(innerProduct: g[k], covariance: sigma[k])
        }
        if geometry.isSymmetric {
            // The diagonal pair takes the exact variance, and det = 0.
            sigma[0] = q1
            theta[0] = layers.firstTangent(innerProduct: geometry.squaredNorms1[i], covariance: q1)
        }
        guard let determinant else { return }
        diagonal2.variance[0].withUnsafeBufferPointer { q2 in
            for k in 0..<count {
                let product = q1 * q2[start + k]
                let naive = product - sigma[k] * sigma[k]
                determinant[k] = naive >= InputGeometry.recomputeBelow * product ? naive
                    : geometry.accurateDeterminant(i, start + k, a: layers.firstScale, b: layers.firstShift)
            }
        }
    }

    private func writeReadout(index: Int, depth: Int, row i: Int, start: Int, count: Int,
                              hat: UnsafeMutablePointer<Double>, dot: UnsafeMutablePointer<Double>,
                              theta: UnsafeMutablePointer<Double>) {
        let perDepth = layers.headIsNNGP ? 3 : 4
        let offset = i * geometry.count2 + start
        let nngp = outputs[perDepth * index].base + offset
        let ntk = outputs[perDepth * index + 1].base + offset
        let body = outputs[perDepth * index + 2].base + offset
        let head = layers.headIsNNGP ? nngp : outputs[perDepth * index + 3].base + offset
        var finite = true
        for k in 0..<count {
            let n = layers.readoutWeightVariance * hat[k] + layers.readoutBiasVariance
            let b = layers.readoutWeightVariance * dot[k] * theta[k]
            let h = layers.headKernel(hat: hat[k], nngp: n)
            nngp[k] = n
            body[k] = b
            head[k] = h
            ntk[k] = h + b
            finite = finite && (h + b).isFinite && n.isFinite
        }
        if !finite && overflow.base[i] == 0 { overflow.base[i] = depth }
    }
}
