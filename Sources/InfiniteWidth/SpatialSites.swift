import CNumerics

/// The spatial sites of a convolutional kernel state, in independent offset classes.
///
/// A pair of images has one covariance per pixel pair (p, p') = ((y, x), (y', x')). A filter tap
/// (dy, dx) moves both pixels by the same offset, so it never changes the offset
/// (δy, δx) = (y − y', x − x'): the pixel pairs split into classes of one offset each, and every
/// layer — the convolution, and the elementwise dual maps — maps each class to itself. Each
/// class is a small image of its own, convolved with the same filter:
///
///     SAME padding:  class δy holds the rows y with y, y − δy both in [0, H) (H − |δy| of them); a
///                    tap leaving that range reads zero (one of the two pixels is padding).
///     CIRCULAR:      class δy (mod H) holds all H rows, y' = y − δy mod H; taps wrap around.
///
/// and likewise for the columns. A flatten readout needs the class (0, 0) only — the same-pixel
/// covariances Σ[p, p]; global average pooling needs all (2H − 1)(2W − 1) classes (H·W of them
/// with circular padding), (H·W)² sites in all. A state is processed one class at a time, so
/// its memory is one class (at most H·W sites) per pair, whatever the readout.
struct OffsetClass: Sendable {
    /// One axis of a class: its positions, the pixel coordinates (u of p, u' of p') of each, and
    /// for each position and filter tap the position that the tap reads (−1: padding).
    struct Axis: Sendable {
        let positions: Int
        let taps: Int
        let first: [Int]
        let second: [Int]
        let source: [Int]

        init(extent: Int, offset: Int, filter: Int, padding: Convolution.Padding) {
            let radius = filter / 2
            switch padding {
            case .same:
                positions = extent - abs(offset)
                first = (0..<positions).map { $0 + max(0, offset) }
            case .circular:
                positions = extent
                first = Array(0..<extent)
            }
            second = first.map { (($0 - offset) % extent + extent) % extent }
            taps = filter
            var source = [Int](repeating: -1, count: positions * filter)
            for u in 0..<positions {
                for t in 0..<filter {
                    let v = u + t - radius
                    switch padding {
                    case .same: if (0..<positions).contains(v) { source[u * filter + t] = v }
                    case .circular: source[u * filter + t] = (v % positions + positions) % positions
                    }
                }
            }
            self.source = source
        }
    }

    let vertical: Axis
    let horizontal: Axis
    /// p and p' of every site (site = vertical position · horizontal positions + horizontal position).
    let firstPixel: [Int]
    let secondPixel: [Int]
    /// Whether this is the offset (0, 0): every site a same-pixel site p = p' (and no other class has one).
    let isSamePixel: Bool

    init(_ convolution: Convolution, offsetY: Int, offsetX: Int) {
        isSamePixel = offsetY == 0 && offsetX == 0
        vertical = Axis(extent: convolution.imageHeight, offset: offsetY, filter: convolution.filterHeight,
                        padding: convolution.padding)
        horizontal = Axis(extent: convolution.imageWidth, offset: offsetX, filter: convolution.filterWidth,
                          padding: convolution.padding)
        let (v, h, w) = (vertical, horizontal, convolution.imageWidth)
        firstPixel = (0..<v.positions).flatMap { a in (0..<h.positions).map { v.first[a] * w + h.first[$0] } }
        secondPixel = (0..<v.positions).flatMap { a in (0..<h.positions).map { v.second[a] * w + h.second[$0] } }
    }

    /// The classes a readout needs: (0, 0) for flatten, every offset for global average pooling.
    static func classes(of convolution: Convolution) -> [OffsetClass] {
        guard convolution.readout == .globalAveragePool else { return [OffsetClass(convolution, offsetY: 0, offsetX: 0)] }
        func offsets(_ extent: Int) -> [Int] {
            convolution.padding == .same ? Array(-(extent - 1)...(extent - 1)) : Array(0..<extent)
        }
        return offsets(convolution.imageHeight).flatMap { dy in
            offsets(convolution.imageWidth).map { OffsetClass(convolution, offsetY: dy, offsetX: $0) }
        }
    }

    var count: Int { vertical.positions * horizontal.positions }

    /// state ← scale·Σ_taps state[shifted] + shift (+ addend at the same index, if given), for a
    /// state of `count` sites × `pairs` values; `scratch` holds as many values. Two passes of
    /// run sums (vertical taps, then horizontal taps), one call into `CNumerics`.
    func convolve(_ state: UnsafeMutablePointer<Double>, pairs: Int, scale: Double, shift: Double,
                  addend: UnsafePointer<Double>?, scratch: UnsafeMutablePointer<Double>) {
        vertical.source.withUnsafeBufferPointer { v in
            horizontal.source.withUnsafeBufferPointer { h in
                ntkb_box_convolve(vertical.positions, vertical.taps, v.baseAddress!, horizontal.positions,
                                  horizontal.taps, h.baseAddress!, pairs, scale, shift, addend, state, scratch)
            }
        }
    }

    /// One convolution layer of Σ and Θ out of place: Σ′ = scale·Σ_taps Σ[shifted] + shift,
    /// Θ′ = scale·Σ_taps Θ[shifted] + Σ′ (Θ′ = Σ′ when `theta` is nil: Θ is zero before the first
    /// layer) — the same values as `convolve` on copies, in one pass. `scratch` holds
    /// `count·pairs + 8·horizontal.positions` values (or more).
    func convolve(sigma: UnsafePointer<Double>, theta: UnsafePointer<Double>?, pairs: Int, scale: Double,
                  shift: Double, into sigmaOut: UnsafeMutablePointer<Double>,
                  _ thetaOut: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>) {
        vertical.source.withUnsafeBufferPointer { v in
            horizontal.source.withUnsafeBufferPointer { h in
                ntkb_box_convolve_pair(vertical.positions, vertical.taps, v.baseAddress!, horizontal.positions,
                                       horizontal.taps, h.baseAddress!, pairs, scale, shift, sigma, theta,
                                       sigmaOut, thetaOut, scratch)
            }
        }
    }
}
