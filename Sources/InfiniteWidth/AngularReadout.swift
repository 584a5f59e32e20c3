import CNumerics
import Foundation
import RealModule

/// The readouts of a bias-free ABReLU network in NTK parameterization as functions of one angle.
///
/// ABReLU(a, b) is positively homogeneous of degree 1, so without biases (σ_b = 0 in every hidden
/// layer) each layer scales the variances by the same factor, q^{l+1} = σ_w²·m·q^l with
/// m = (a² + b²)/2, and maps the angle θ^l = atan2(√det^l, Σ^l) of a pair to the next one alone:
///
///     cos θ^{l+1} = (c·sin θ^l + (m − c·θ^l)·cos θ^l) / m,        c = (a − b)²/(2π).
///
/// Every readout is then r·f(θ¹), with r = √(q_i¹·q_j¹) and θ¹ the first layer's angle:
///
///     𝒦 = r·P(θ¹) + σ_b,out²,    Θ_body = r·B(θ¹),    Θ = 𝒦 + Θ_body,
///
/// where P and B are the readouts of the pair (q = 1, Σ = cos θ, det = sin² θ) through the
/// layer recursion. They are smooth on [0, π]; this type holds them as polynomials of degree
/// `degree` on `pieces` equal pieces (Chebyshev interpolants of the layer recursion, stored in
/// powers of x ∈ [−1, 1] across each piece), and `ntkb_angular_readout` evaluates them: one
/// angle and two polynomials per pair instead of a dual map per layer.
///
/// The tables are used only where they reproduce the layer recursion: `init` compares them with
/// it at points between the nodes and fails (the caller keeps the layer-by-layer path) when an
/// error exceeds `tolerance`·max|f|. Deep networks concentrate the functions' change near θ = 0
/// (for ReLU the angle map is θ ↦ θ − θ²/(3π) + …, so after L layers the scale is ~3π/L), and
/// the check then sends them to the layer recursion (ReLU: depth 9 and below pass).
struct AngularReadout: Sendable {
    static let pieces = Int(NTKB_ANGULAR_PIECES)
    static let degree = Int(NTKB_ANGULAR_DEGREE)
    /// The largest error allowed at the check points, relative to the largest |f| on [0, π].
    static let tolerance = 4 * Double.ulpOfOne
    /// sin²θ at or below which a pair counts as parallel or antipodal (θ ≤ 10⁻⁶; see
    /// `RowRecursion.nearParallelPairs`).
    static let nearParallel = 1e-12

    /// The polynomials of one readout depth: coefficient k of piece p at k·pieces + p.
    struct Table: Sendable {
        let nngp: [Double]
        let body: [Double]
    }

    /// Per readout depth (in the order of the `readoutDepths` given to `init`): its table, or nil
    /// where that depth goes through the layers.
    let tables: [Table?]
    let readoutBiasVariance: Double

    /// The tables for `readoutDepths` (sorted), or nil where they do not apply (not ABReLU, a
    /// bias, standard parameterization) or no depth passes the check. A depth's table does not
    /// depend on the other depths asked for, so the bits of a readout do not either.
    ///
    /// Depth 1 is left to the layer path: it is one map there, and its readouts vanish inside
    /// [0, π] (ReLU's 𝒦 at θ = π, its Θ_body at θ = π/2), where the tables' error, a few ulp of
    /// the largest value, would be large relative to the entry.
    init?(layers: LayerRecursion, dual: DualActivation, readoutDepths: [Int]) {
        guard case let .abReLU(a, b) = dual.form, layers.standardWidth == nil,
              layers.firstShift == 0, layers.biasVariance == 0, let deepest = readoutDepths.last else { return nil }
        let sample = AngularSample(a: a, b: b, layers: layers, readoutDepths: readoutDepths, deepest: deepest)
        let fitted = Self.fit(sample, depthCount: readoutDepths.count)
        tables = readoutDepths.indices.map { d in
            readoutDepths[d] >= 2 && Self.passesCheck(fitted[d], depthIndex: d, sample) ? fitted[d] : nil
        }
        guard tables.contains(where: { $0 != nil }) else { return nil }
        readoutBiasVariance = layers.readoutBiasVariance
    }

    /// The Chebyshev interpolants of P and B on every piece, per readout depth.
    private static func fit(_ sample: AngularSample, depthCount: Int) -> [Table] {
        let size = (degree + 1) * pieces
        var nngp = [[Double]](repeating: [Double](repeating: 0, count: size), count: depthCount), body = nngp
        for piece in 0..<pieces {
            let values = chebyshevNodes.map { sample.readouts(at: angle(piece: piece, x: $0)) }
            for d in 0..<depthCount {
                let p = powerCoefficients(interpolating: values.map { $0[d].nngp })
                let q = powerCoefficients(interpolating: values.map { $0[d].body })
                for k in 0...degree {
                    nngp[d][k * pieces + piece] = p[k]
                    body[d][k * pieces + piece] = q[k]
                }
            }
        }
        return (0..<depthCount).map { Table(nngp: nngp[$0], body: body[$0]) }
    }

    /// The check of one depth's table: between the nodes of every piece and at the ends of
    /// [0, π], |table − recursion| ≤ `tolerance`·max|recursion|, for P and for B.
    private static func passesCheck(_ table: Table, depthIndex d: Int, _ sample: AngularSample) -> Bool {
        var worst = (0.0, 0.0), largest = (0.0, 0.0)
        for piece in 0..<pieces {
            for x in checkPoints {
                let exact = sample.readouts(at: angle(piece: piece, x: x))[d]
                let (n, b) = (Double(exact.nngp), Double(exact.body))
                worst = (max(worst.0, abs(evaluate(table.nngp, piece: piece, x: x) - n)),
                         max(worst.1, abs(evaluate(table.body, piece: piece, x: x) - b)))
                largest = (max(largest.0, abs(n)), max(largest.1, abs(b)))
            }
        }
        return worst.0 <= tolerance * largest.0 && worst.1 <= tolerance * largest.1
    }

    /// θ at x ∈ [−1, 1] across piece `piece` of [0, π].
    static func angle(piece: Int, x: Double) -> Double {
        Double.pi / Double(pieces) * (Double(piece) + (x + 1) / 2)
    }

    /// The degree + 1 Chebyshev points of the first kind, x_j = cos(π(j + ½)/(degree + 1)).
    static let chebyshevNodes: [Double] = (0...degree).map {
        Double(AngularNodePrecision.cos(AngularNodePrecision.pi * (AngularNodePrecision($0) + 0.5) / AngularNodePrecision(degree + 1)))
    }

    /// T_k(x_j) = cos(πk(j + ½)/(degree + 1)) at index k·(degree + 1) + j, in the nodes' precision.
    static let chebyshevCosines: [AngularNodePrecision] = (0...degree).flatMap { k in
        (0...degree).map { j in
            AngularNodePrecision.cos(AngularNodePrecision.pi * AngularNodePrecision(k) * (AngularNodePrecision(j) + 0.5)
                                     / AngularNodePrecision(degree + 1))
        }
    }

    /// Points between the nodes, and the ends of the piece.
    static let checkPoints: [Double] = {
        let nodes = chebyshevNodes.sorted()
        return [-1, 1] + zip(nodes, nodes.dropFirst()).map { ($0 + $1) / 2 }
    }()

    /// The polynomial through (x_j, values[j]) at the Chebyshev nodes, in powers of x: Chebyshev
    /// coefficients c_k = (2 − δ_k0)/N·Σ_j f_j·T_k(x_j), then Σ_k c_k·T_k expanded with
    /// T_{k+1} = 2x·T_k − T_{k−1}.
    static func powerCoefficients(interpolating values: [AngularNodePrecision]) -> [Double] {
        typealias T = AngularNodePrecision
        let count = degree + 1
        var power = [T](repeating: 0, count: count)
        var previous = [T](repeating: 0, count: count), current = previous
        previous[0] = 1          // T_0
        current[1] = 1           // T_1
        for k in 0..<count {
            var c: T = 0
            for (j, f) in values.enumerated() { c += f * chebyshevCosines[k * count + j] }
            c *= (k == 0 ? 1 : 2) / T(count)
            let t = k == 0 ? previous : current
            for m in 0..<count { power[m] += c * t[m] }
            if k >= 1 && k < degree {
                var next = [T](repeating: 0, count: count)
                for m in 0..<count {
                    next[m] = (m > 0 ? 2 * current[m - 1] : 0) - previous[m]
                }
                previous = current
                current = next
            }
        }
        return power.map { Double($0) }
    }

    /// The stored polynomial of `table` on `piece` at x (Horner with fused multiply-adds, as
    /// `ntkb_angular_readout`).
    static func evaluate(_ table: [Double], piece: Int, x: Double) -> Double {
        var p = table[degree * pieces + piece]
        for k in stride(from: degree - 1, through: 0, by: -1) { p = table[k * pieces + piece].addingProduct(p, x) }
        return p
    }
}

#if arch(x86_64) && !os(Windows)
/// The precision of the tables' nodes: 64-bit significands where the platform has them, so that
/// the nodes are the layer recursion correctly rounded to float64 (almost always).
typealias AngularNodePrecision = Float80
#else
typealias AngularNodePrecision = Double
#endif

/// The layer recursion of one pair with q = 1 and angle θ at the first layer, in
/// `AngularNodePrecision`: the arithmetic of `ntkb_abrelu_dual` with det carried (and σ_b = 0),
///
///     s = √det, θ = atan2(s, Σ), Σ̇ = m − c·θ, Σ̂ = c·s + Σ·Σ̇,
///     det′ = w²·g·(m·r + Σ̂),  g = m·(r − Σ) − c·(s − θ·Σ) = m·r − Σ̂,
///
/// with r − Σ = det/(r + Σ) for Σ > 0 and s − θ·Σ = r·(sin θ − θ cos θ) from its series for θ < ½.
private struct AngularSample {
    typealias T = AngularNodePrecision
    let m: T
    let c: T
    let w: T
    let rw: T
    let readoutDepths: [Int]
    let deepest: Int

    init(a: Double, b: Double, layers: LayerRecursion, readoutDepths: [Int], deepest: Int) {
        m = (T(a) * T(a) + T(b) * T(b)) / 2
        c = (T(a) - T(b)) * (T(a) - T(b)) / (2 * T.pi)
        w = T(layers.weightVariance)
        rw = T(layers.readoutWeightVariance)
        self.readoutDepths = readoutDepths
        self.deepest = deepest
    }

    /// (sin θ − θ cos θ)/θ³ = Σ_{k≥1} (−1)^{k+1}·2k/(2k+1)!·θ^{2k−2}, for θ < ½ (terms through θ²⁸).
    static func sineDefectSeries(_ theta: T) -> T {
        let t = theta * theta
        var sum: T = 0, power: T = 1, factorial: T = 6   // (2k+1)! for k = 1
        for k in 1...15 {
            let term = T(2 * k) / factorial * power
            sum += k % 2 == 1 ? term : -term
            power *= t
            factorial *= T(2 * k + 2) * T(2 * k + 3)
        }
        return sum
    }

    /// (P(θ), B(θ)) at each readout depth.
    func readouts(at angle: Double) -> [(nngp: T, body: T)] {
        let start = T(angle)
        var r: T = 1, sigma = T.cos(start), det = T.sin(start) * T.sin(start), tangent = sigma
        var found: [(nngp: T, body: T)] = []
        for l in 1...deepest {
            let d = max(det, 0), s = d.squareRoot()
            let theta = T.atan2(y: s, x: sigma)
            let dot = m - c * theta, hat = c * s + sigma * dot
            if readoutDepths.contains(l) { found.append((rw * hat, rw * dot * tangent)) }
            guard l < deepest else { break }
            let gap = sigma > 0 ? d / (r + sigma) : r - sigma
            let defect = theta < 0.5 ? r * theta * theta * theta * Self.sineDefectSeries(theta) : s - theta * sigma
            let g = max(m * gap - c * defect, 0)
            det = w * w * g * (m * r + hat)
            sigma = w * hat
            tangent = sigma + w * dot * tangent
            r = w * m * r
        }
        return found
    }
}
