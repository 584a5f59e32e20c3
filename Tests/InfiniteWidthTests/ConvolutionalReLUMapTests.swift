import CNumerics
import Foundation
import InfiniteWidth
import LinearAlgebra
import XCTest

/// The convolutional ABReLU map (`ntkb_conv_abrelu_activate`, on each path this CPU has: AVX-512,
/// AVX2, scalar) against the same formulas in 64-bit-significand arithmetic on the same double inputs:
/// r = √qi·√qj rounded as the map rounds it, det = (r − |Σ|)(r + |Σ|), θ = atan2(√det, Σ),
/// Σ̇ = m − c·θ, Σ̂ = c·√det + Σ·Σ̇. Angles uniform on [0, π], down to 1e-8, within 1e-8 of π,
/// and at the boundaries of the vector reduction's intervals (2·atan(k/7)), with r over 2⁻⁸…2⁸;
/// pair counts that leave masked and scalar tails.
final class ConvolutionalReLUMapTests: XCTestCase {
    func testMapIsWithinAFewUlpOfAnExtendedPrecisionReference() {
        defer { ntkb_limit_vector_width(0) }
        for limit in Int32(0)...2 {
            ntkb_limit_vector_width(limit)
            check(path: ["widest", "AVX2", "scalar"][Int(limit)])
        }
    }

    private func check(path: String) {
        var generator = SeededGenerator(seed: 41)
        for (a, b) in [(1.0, 0.0), (1.5, -0.5), (1.0, 0.1)] {
            let m = 0.5 * (a * a + b * b), c = (a - b) * (a - b) / (2 * Double.pi)
            for pairs in [8, 4093] {
                let rootRow = Double.random(in: 0.5...2, using: &generator)
                let roots = (0..<pairs).map { _ in exp2(Double.random(in: -8...8, using: &generator)) }
                let angles = (0..<pairs).map { k -> Double in
                    switch k % 4 {
                    case 0: return Double.random(in: 0...Double.pi, using: &generator)
                    case 1: return pow(10, -8 * Double.random(in: 0...1, using: &generator))
                    case 2: return Double.pi - pow(10, -8 * Double.random(in: 0...1, using: &generator))
                    default: return 2 * atan(Double(k % 8) / 7) + Double.random(in: -1e-4...1e-4, using: &generator)
                    }
                }
                var sigma = zip(roots, angles).map { rootRow * $0 * cos($1) }
                let inputs = sigma
                var theta = [Double](repeating: 1, count: pairs)
                let pixels = [0]
                pixels.withUnsafeBufferPointer { pixel in
                    ntkb_conv_abrelu_activate(1, pairs, a, b, pixel.baseAddress!, pixel.baseAddress!, [rootRow], 1, roots,
                                              pairs, -1, [0], [0], &sigma, &theta)
                }
                var worstDot = 0.0, worstHat = 0.0
                for k in 0..<pairs {
                    let r = Float80(rootRow * roots[k]), s = Float80(inputs[k])
                    let det = max(0, (r - abs(s)) * (r + abs(s)))
                    let dot = Float80(m) - Float80(c) * atan2l(det.squareRoot(), s)
                    let hat = Float80(c) * det.squareRoot() + s * dot
                    worstDot = max(worstDot, Double(abs(Float80(theta[k]) - dot)) / m)
                    worstHat = max(worstHat, Double(abs(Float80(sigma[k]) - hat) / (Float80(m) * r)))
                }
                // θ to a few ulp of π/2 (1 ulp = 2.2e-16): Σ̇ to 4.4e-16·m, Σ̂ to 4.4e-16·m·r.
                XCTAssertLessThan(worstDot, 4.4e-16, "\(path): a = \(a), b = \(b), \(pairs) pairs")
                XCTAssertLessThan(worstHat, 4.4e-16, "\(path): a = \(a), b = \(b), \(pairs) pairs")
            }
        }
    }
}
