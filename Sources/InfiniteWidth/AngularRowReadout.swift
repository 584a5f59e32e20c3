import CNumerics

extension RowRecursion {
    /// The readouts of row i at every readout depth from its first layer (Σ¹, det¹ of the
    /// segment `start..<end`) through `AngularReadout`'s tables, for the columns in `written`;
    /// the diagonal pair takes the exact diagonal recursion, as in the layer-by-layer path.
    ///
    /// Every column goes through the same lanes as in a whole-matrix call (see the type's
    /// comment): the pairs from the segment's start to the first lane boundary at or after the
    /// first written column go through scratch, the rest (when written to the segment's end,
    /// contiguously) straight into the destination.
    func writeAngularReadouts(_ angular: AngularReadout, row i: Int, start: Int, end: Int, written: Range<Int>,
                              diagonal: Int?, sigma: UnsafePointer<Double>, determinant: UnsafePointer<Double>,
                              scratch: (nngp: UnsafeMutablePointer<Double>, body: UnsafeMutablePointer<Double>),
                              destination: KernelDestination) {
        let columns = max(written.lowerBound, start)..<min(written.upperBound, end)
        guard !columns.isEmpty else { return }
        let offset = (i - destination.firstRow) * destination.rowStride, stride = destination.columnStride
        let boundary = min(end, start + (columns.lowerBound - start + Self.lane - 1) / Self.lane * Self.lane)
        let direct = stride == 1 && columns.upperBound == end ? boundary..<end : end..<end
        let staged = start..<(direct.isEmpty ? end : direct.lowerBound)
        for (index, depth) in readoutDepths.enumerated() {
            guard let table = angular.tables[index] else { continue }
            let bases = destination.bases[index]
            func target(_ kind: Int, _ column: Int) -> UnsafeMutablePointer<Double>? {
                bases[kind].map { $0 + offset + (column - destination.firstColumn) * stride }
            }
            var finite = true
            if !staged.isEmpty {
                _ = evaluate(table, angular.readoutBiasVariance, row: i, columns: staged, segmentStart: start, sigma: sigma,
                             determinant: determinant, nngp: scratch.nngp, ntk: nil, head: nil, body: scratch.body)
                let (nngp, ntk) = (target(0, columns.lowerBound), target(1, columns.lowerBound))
                let (head, body) = (target(2, columns.lowerBound), target(3, columns.lowerBound))
                for j in max(staged.lowerBound, columns.lowerBound)..<min(staged.upperBound, columns.upperBound) {
                    let n = scratch.nngp[j - start], b = scratch.body[j - start], at = (j - columns.lowerBound) * stride
                    nngp?[at] = n
                    head?[at] = n
                    body?[at] = b
                    ntk?[at] = n + b
                    finite = finite && (n + b).isFinite
                }
            }
            if !direct.isEmpty {
                finite = evaluate(table, angular.readoutBiasVariance, row: i, columns: direct, segmentStart: start, sigma: sigma,
                                  determinant: determinant, nngp: target(0, direct.lowerBound),
                                  ntk: target(1, direct.lowerBound), head: target(2, direct.lowerBound),
                                  body: target(3, direct.lowerBound)) && finite
            }
            if let k = diagonal, columns.contains(start + k) {
                let exact = diagonalReadout(row: i, depth: depth)
                let at = (start + k - columns.lowerBound) * stride
                target(0, columns.lowerBound)?[at] = exact.nngp
                target(2, columns.lowerBound)?[at] = exact.nngp
                target(3, columns.lowerBound)?[at] = exact.body
                target(1, columns.lowerBound)?[at] = exact.nngp + exact.body
            }
            if !finite && overflow.base[i] == 0 { overflow.base[i] = depth }
        }
    }

    /// `ntkb_angular_readout` for `columns` of row i (a lane-aligned part of the segment that
    /// starts at `segmentStart`); returns whether every Θ was finite.
    private func evaluate(_ table: AngularReadout.Table, _ readoutBiasVariance: Double, row i: Int, columns: Range<Int>,
                          segmentStart: Int,
                          sigma: UnsafePointer<Double>, determinant: UnsafePointer<Double>,
                          nngp: UnsafeMutablePointer<Double>?, ntk: UnsafeMutablePointer<Double>?,
                          head: UnsafeMutablePointer<Double>?, body: UnsafeMutablePointer<Double>?) -> Bool {
        let skip = columns.lowerBound - segmentStart
        return table.nngp.withUnsafeBufferPointer { p in
            table.body.withUnsafeBufferPointer { b in
                diagonal2.layers[0].root.withUnsafeBufferPointer { roots in
                    ntkb_angular_readout(columns.count, p.baseAddress!, b.baseAddress!, readoutBiasVariance,
                                         diagonal1.layers[0].root[i], roots.baseAddress! + columns.lowerBound,
                                         sigma + skip, determinant + skip, nngp, ntk, head, body)
                }
            }
        } != 0
    }

    /// 𝒦 and Θ_body of the pair (x_i, x_i) at `depth` from the exact diagonal maps (the
    /// arithmetic of the layer-by-layer path for the diagonal pair, NTK parameterization).
    func diagonalReadout(row i: Int, depth: Int) -> (nngp: Double, body: Double) {
        let w = layers.weightVariance, v = layers.biasVariance
        var tangent = diagonal1.layers[0].variance[i]
        for l in 1..<depth {
            let next = w * diagonal1.layers[l - 1].hat[i] + v
            tangent = next + w * diagonal1.layers[l - 1].dot[i] * tangent
        }
        let rw = layers.readoutWeightVariance
        let nngp = rw * diagonal1.layers[depth - 1].hat[i] + layers.readoutBiasVariance
        return (nngp, rw * diagonal1.layers[depth - 1].dot[i] * tangent)
    }
}

extension RowRecursion {
    /// The places k among `candidates` (the pairs whose det¹ was recomputed: every pair with
    /// sin²θ¹ < 10⁻², so every one this looks for) of the pairs within 10⁻⁶ of parallel or
    /// antipodal, det¹ ≤ 10⁻¹²·q_i·q_j (the diagonal pair included).
    ///
    /// Such pairs take the layer-by-layer path, one at a time (so the same way whichever
    /// segment holds them). Near θ = 0 a kernel entry falls short of √(K_ii·K_jj) by O(θ²) only;
    /// the layers compute the pair with the diagonal's own arithmetic, which keeps a
    /// rank-deficient kernel (one-dimensional inputs, repeated or rescaled points) positive
    /// semi-definite as the layer path does, whereas the tables' error (an ulp or two) could
    /// exceed that shortfall; and exactly antipodal pairs keep their exact zeros (ReLU's 𝒦 at
    /// depth 1). Beyond 10⁻⁶ the shortfall is at least 10⁻¹², a thousand times the tables' error.
    func nearParallelPairs(row i: Int, start: Int, among candidates: UnsafeBufferPointer<Int>,
                           determinant: UnsafePointer<Double>) -> [Int] {
        guard !candidates.isEmpty else { return [] }
        let rootQi = diagonal1.layers[0].root[i], roots = diagonal2.layers[0].root
        return candidates.filter { k in
            let r = rootQi * roots[start + k]
            return !(determinant[k] > AngularReadout.nearParallel * (r * r))
        }
    }
}
