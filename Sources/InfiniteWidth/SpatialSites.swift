/// The spatial sites at which a convolutional kernel state holds one covariance per pair of
/// inputs, and the convolution of such a state.
///
/// With a flatten readout only same-pixel covariances Σ(x_i, x_j)[p, p] are needed (sites = the
/// H·W pixels p); with global average pooling all pixel pairs Σ[p, p'] are (sites = the (H·W)²
/// pairs). A site is indexed (vertical position, horizontal position) with
///
///     same pixel:   vertical y,            horizontal x              site = y·W + x
///     pixel pairs:  vertical (y, y'),      horizontal (x, x')        site = (y·H + y')·W² + x·W + x'
///
/// so that a filter tap (dy, dx), which moves both pixels of a pair by the same offset, moves a
/// site by whole runs: the convolution is two passes (vertical taps, then horizontal taps) of
/// contiguous vector additions over the pairs stored at each site.
struct SpatialSites: Sendable {
    /// One spatial axis (height or width): its positions and, for each position and filter tap,
    /// the position the tap reads (−1 beyond a zero-padded border).
    struct Axis: Sendable {
        let positions: Int
        let taps: Int
        /// source[position·taps + tap]
        let source: [Int]
        /// The pixel coordinates of a position: (u, u) for same-pixel sites, (u, u') for pairs.
        let first: [Int]
        let second: [Int]

        init(extent: Int, filter: Int, padding: Convolution.Padding, paired: Bool) {
            let radius = filter / 2
            positions = paired ? extent * extent : extent
            taps = filter
            first = (0..<positions).map { paired ? $0 / extent : $0 }
            second = (0..<positions).map { paired ? $0 % extent : $0 }
            func shifted(_ u: Int, _ d: Int) -> Int? {
                let v = u + d
                switch padding {
                case .same: return (0..<extent).contains(v) ? v : nil
                case .circular: return ((v % extent) + extent) % extent
                }
            }
            var source = [Int](repeating: -1, count: positions * filter)
            for a in 0..<positions {
                for t in 0..<filter {
                    guard let u = shifted(first[a], t - radius), let v = shifted(second[a], t - radius) else { continue }
                    source[a * filter + t] = paired ? u * extent + v : u
                }
            }
            self.source = source
        }
    }

    let vertical: Axis
    let horizontal: Axis
    let imageWidth: Int
    /// True for pixel-pair sites (global average pooling).
    let paired: Bool

    init(_ convolution: Convolution, paired: Bool) {
        vertical = Axis(extent: convolution.imageHeight, filter: convolution.filterHeight,
                        padding: convolution.padding, paired: paired)
        horizontal = Axis(extent: convolution.imageWidth, filter: convolution.filterWidth,
                          padding: convolution.padding, paired: paired)
        imageWidth = convolution.imageWidth
        self.paired = paired
    }

    var count: Int { vertical.positions * horizontal.positions }

    /// The pixels (p, p') of site s (p = p' for same-pixel sites), p = y·W + x.
    func pixels(ofSite s: Int) -> (Int, Int) {
        let a = s / horizontal.positions, b = s % horizontal.positions
        return (vertical.first[a] * imageWidth + horizontal.first[b],
                vertical.second[a] * imageWidth + horizontal.second[b])
    }

    /// The sites whose two pixels coincide.
    var diagonalSites: [Int] { (0..<count).filter { let (p, q) = pixels(ofSite: $0); return p == q } }

    /// state ← scale·Σ_taps state[shifted] + shift (+ addend, if given, at the same index), for a
    /// state of `count` sites × `pairs` values; `scratch` holds as many values.
    func convolve(_ state: UnsafeMutablePointer<Double>, pairs: Int, scale: Double, shift: Double,
                  addend: UnsafePointer<Double>?, scratch: UnsafeMutablePointer<Double>) {
        let run = horizontal.positions * pairs
        // Vertical taps: whole rows of horizontal positions move together.
        for a in 0..<vertical.positions {
            let out = scratch + a * run
            out.update(repeating: 0, count: run)
            for t in 0..<vertical.taps {
                let s = vertical.source[a * vertical.taps + t]
                if s >= 0 { Self.add(state + s * run, into: out, count: run) }
            }
        }
        // Horizontal taps, then the affine map.
        for a in 0..<vertical.positions {
            for b in 0..<horizontal.positions {
                let out = state + a * run + b * pairs
                out.update(repeating: 0, count: pairs)
                for t in 0..<horizontal.taps {
                    let s = horizontal.source[b * horizontal.taps + t]
                    if s >= 0 { Self.add(scratch + a * run + s * pairs, into: out, count: pairs) }
                }
                if let addend {
                    let extra = addend + a * run + b * pairs
                    for k in 0..<pairs { out[k] = scale * out[k] + shift + extra[k] }
                } else {
                    for k in 0..<pairs { out[k] = scale * out[k] + shift }
                }
            }
        }
    }

    @inline(__always)
    static func add(_ source: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>, count: Int) {
        for k in 0..<count { out[k] += source[k] }
    }
}
