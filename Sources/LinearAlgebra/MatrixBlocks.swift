import CBLAS

/// Extracting, stacking and transposing blocks of matrices.
extension Matrix {
    /// The block with the given row and column ranges, copied.
    public func block(rows rowRange: Range<Int>, columns columnRange: Range<Int>) -> Matrix {
        precondition(rowRange.lowerBound >= 0 && rowRange.upperBound <= rows
                     && columnRange.lowerBound >= 0 && columnRange.upperBound <= columns,
                     "block \(rowRange) × \(columnRange) outside a \(shapeDescription) matrix")
        var result = Matrix(rows: rowRange.count, columns: columnRange.count)
        let width = columnRange.count
        elements.withUnsafeBufferPointer { source in
            result.elements.withUnsafeMutableBufferPointer { target in
                for (k, i) in rowRange.enumerated() {
                    let from = source.baseAddress! + i * columns + columnRange.lowerBound
                    (target.baseAddress! + k * width).update(from: from, count: width)
                }
            }
        }
        return result
    }

    /// The rows in `range`, copied.
    public func rows(_ range: Range<Int>) -> Matrix {
        block(rows: range, columns: 0..<columns)
    }

    /// The given rows in the given order, copied.
    public func selectingRows(_ indices: [Int]) -> Matrix {
        var result = [Double]()
        result.reserveCapacity(indices.count * columns)
        for i in indices { result.append(contentsOf: elements[(i * columns)..<((i + 1) * columns)]) }
        return Matrix(rows: indices.count, columns: columns, elements: result)
    }

    /// Writes `source` into this matrix with its top-left corner at (`row`, `column`).
    public mutating func setBlock(_ source: Matrix, at row: Int, _ column: Int) {
        precondition(row + source.rows <= rows && column + source.columns <= columns,
                     "a \(source.shapeDescription) block does not fit at (\(row), \(column)) in \(shapeDescription)")
        let stride = columns
        source.elements.withUnsafeBufferPointer { from in
            elements.withUnsafeMutableBufferPointer { target in
                for i in 0..<source.rows {
                    (target.baseAddress! + (row + i) * stride + column)
                        .update(from: from.baseAddress! + i * source.columns, count: source.columns)
                }
            }
        }
    }

    /// The matrices stacked on top of each other; all must have the same number of columns.
    public static func stackingRows(_ parts: [Matrix]) -> Matrix {
        guard let first = parts.first else { return Matrix(rows: 0, columns: 0) }
        precondition(parts.allSatisfy { $0.columns == first.columns }, "stacked blocks differ in width")
        var elements = [Double]()
        elements.reserveCapacity(parts.reduce(0) { $0 + $1.elements.count })
        for part in parts { elements.append(contentsOf: part.elements) }
        return Matrix(rows: parts.reduce(0) { $0 + $1.rows }, columns: first.columns, elements: elements)
    }

    /// The transpose, computed in cache-sized tiles.
    public func transposed() -> Matrix {
        var result = Matrix(rows: columns, columns: rows)
        let tile = 32
        let (m, n) = (rows, columns)
        elements.withUnsafeBufferPointer { a in
            result.elements.withUnsafeMutableBufferPointer { t in
                for i0 in stride(from: 0, to: m, by: tile) {
                    for j0 in stride(from: 0, to: n, by: tile) {
                        for i in i0..<min(i0 + tile, m) {
                            for j in j0..<min(j0 + tile, n) { t[j &* m &+ i] = a[i &* n &+ j] }
                        }
                    }
                }
            }
        }
        return result
    }

    /// Replaces a square matrix by its symmetric part (A + Aᵀ)/2, in place: 32×32 tiles of the
    /// upper triangle with their mirrors, bands of tile rows in parallel (each band owns its tiles
    /// and their mirrors, so no two workers touch the same entry).
    public mutating func symmetrize() {
        precondition(isSquare, "only a square matrix can be symmetrized")
        let n = rows
        let tile = 32
        elements.withUnsafeMutableBufferPointer { storage in
            let a = SharedPointer(storage.baseAddress!)
            ParallelLoop.forEachChunk(count: (n + tile - 1) / tile, cost: { Double(n - $0 * tile) }) { chunk in
                for band in chunk {
                    let i0 = band * tile
                    for j0 in stride(from: i0, to: n, by: tile) {
                        for i in i0..<min(i0 + tile, n) {
                            let (first, end) = (max(j0, i + 1), min(j0 + tile, n))
                            guard first < end else { continue }
                            for j in first..<end {
                                let mean = 0.5 * (a.base[i &* n &+ j] + a.base[j &* n &+ i])
                                a.base[i &* n &+ j] = mean
                                a.base[j &* n &+ i] = mean
                            }
                        }
                    }
                }
            }
        }
    }

    /// Copies the upper triangle onto the lower one, making a square matrix exactly symmetric.
    public mutating func mirrorUpperTriangle() {
        precondition(isSquare, "only a square matrix can be mirrored")
        let n = rows
        elements.withUnsafeMutableBufferPointer { Matrix.mirrorUpperTriangle($0.baseAddress!, size: n) }
    }

    /// Rows `rows` of the symmetric n × n matrix held in upper-triangle storage at `upper`
    /// (row-major, entries (i, j) with j ≥ i; LAPACK's uplo = 'U'), written whole into the
    /// rows.count × n row-major array `target`: (i, j) for j ≥ i from row i, for j < i from row j.
    /// The rows above `rows` are read, never written, so the band can be expanded while later
    /// rows are being computed. Left of the band the block is a transpose (OpenBLAS's
    /// `domatcopy`); inside it, the small triangle goes in 32×32 tiles.
    public static func expandUpperTriangle(_ upper: UnsafePointer<Double>, size n: Int, rows: Range<Int>,
                                           into target: UnsafeMutablePointer<Double>) {
        let first = rows.lowerBound
        for i in rows {
            (target + (i - first) * n + i).update(from: upper + i * n + i, count: n - i)
        }
        if first > 0 {
            // target[r][j] = upper[j][first + r] for j < first: the transpose of a first × rows.count block.
            cblas_domatcopy(CblasRowMajor, CblasTrans, Int32(first), Int32(rows.count), 1, upper + first, Int32(n),
                            target, Int32(n))
        }
        let tile = 32
        for i0 in stride(from: first, to: rows.upperBound, by: tile) {
            let i1 = min(i0 + tile, rows.upperBound)
            for j0 in stride(from: first, to: i1 - 1, by: tile) {
                for i in i0..<i1 {
                    let row = target + (i - first) * n
                    let end = min(j0 + tile, i)
                    guard j0 < end else { continue }
                    for j in j0..<end { row[j] = upper[j &* n &+ i] }
                }
            }
        }
    }

    /// Copies the upper triangle of the row-major n × n matrix at `storage` onto its lower one, in
    /// 32×32 tiles, bands of tile rows in parallel (each band writes only its own columns of the
    /// lower triangle).
    public static func mirrorUpperTriangle(_ storage: UnsafeMutablePointer<Double>, size n: Int) {
        let tile = 32
        let a = SharedPointer(storage)
        ParallelLoop.forEachChunk(count: (n + tile - 1) / tile, cost: { Double(n - $0 * tile) }) { chunk in
            for band in chunk {
                let i0 = band * tile
                for j0 in stride(from: i0, to: n, by: tile) {
                    for i in i0..<min(i0 + tile, n) {
                        let (first, end) = (max(j0, i + 1), min(j0 + tile, n))
                        guard first < end else { continue }
                        for j in first..<end { a.base[j &* n &+ i] = a.base[i &* n &+ j] }
                    }
                }
            }
        }
    }
}
