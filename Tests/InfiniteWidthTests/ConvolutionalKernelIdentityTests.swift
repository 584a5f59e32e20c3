import Foundation
import InfiniteWidth
import LinearAlgebra
import XCTest

/// Identities of the convolutional kernels: the fully connected limit, translation invariance
/// under circular padding, the two readouts as means over a direct pixel-pair recursion, depth
/// sweeps, cross calls and tiling.
final class ConvolutionalKernelIdentityTests: XCTestCase {
    static func architecture(_ activation: Activation, depth: Int, _ convolution: Convolution?,
                             biasStd: Double = 0.3) throws -> Architecture {
        try Architecture(depth: depth, activation: activation, weightStd: 1.3, biasStd: biasStd,
                         readoutWeightStd: 0.9, readoutBiasStd: 0.2, convolution: convolution)
    }

    static func randomImages(_ n: Int, _ d: Int, seed: UInt64) -> Matrix {
        var generator = SeededGenerator(seed: seed)
        return Matrix(rows: n, columns: d, elements: (0..<(n * d)).map { _ in generator.normal() })
    }

    static func worst(_ a: NetworkKernels, _ b: NetworkKernels) -> Double {
        [(a.nngp, b.nngp), (a.ntk, b.ntk), (a.head, b.head), (a.body, b.body)]
            .map { $0.0.maxRelativeDifference(to: $0.1) }.max()!
    }

    /// 1×1 filters on a 1×1×d image are a fully connected network (fan-in d, inputs x·x'/d).
    func testOneByOneFilterOnOnePixelImageIsTheFullyConnectedKernel() throws {
        let d = 5
        let x1 = Self.randomImages(6, d, seed: 1), x2 = Self.randomImages(3, d, seed: 2)
        for activation: Activation in [.relu, .erf, .identity, .tanh, .leakyReLU(slope: 0.2)] {
            for readout in Convolution.Readout.allCases {
                for padding in Convolution.Padding.allCases {
                    let conv = try Convolution(filterHeight: 1, filterWidth: 1, imageHeight: 1, imageWidth: 1, channels: d,
                                               padding: padding, readout: readout)
                    let cnn = KernelRecursion(try Self.architecture(activation, depth: 3, conv))
                    let fc = KernelRecursion(try Self.architecture(activation, depth: 3, nil))
                    // Same formulas evaluated in the same order up to BLAS's summation of x·x'.
                    XCTAssertLessThan(Self.worst(try cnn.kernels(x1), try fc.kernels(x1)), 1e-13, "\(activation) \(readout)")
                    XCTAssertLessThan(Self.worst(try cnn.kernels(x1, x2), try fc.kernels(x1, x2)), 1e-13, "\(activation)")
                }
            }
        }
    }

    /// Circular padding: shifting every image by the same cyclic translation leaves the kernel
    /// unchanged (both readouts average over all pixels).
    func testCircularPaddingIsTranslationInvariant() throws {
        let (h, w, c) = (4, 5, 2)
        let x = Self.randomImages(4, h * w * c, seed: 3)
        func shifted(_ m: Matrix, dy: Int, dx: Int) -> Matrix {
            var out = m.elements
            for i in 0..<m.rows {
                for y in 0..<h {
                    for xx in 0..<w {
                        for k in 0..<c {
                            out[i * m.columns + (((y + dy) % h) * w + (xx + dx) % w) * c + k] = m[i, (y * w + xx) * c + k]
                        }
                    }
                }
            }
            return Matrix(rows: m.rows, columns: m.columns, elements: out)
        }
        let moved = shifted(x, dy: 1, dx: 3)
        XCTAssertNotEqual(moved, x)
        for readout in Convolution.Readout.allCases {
            let conv = try Convolution(filterHeight: 3, filterWidth: 3, imageHeight: h, imageWidth: w, channels: c,
                                       padding: .circular, readout: readout)
            let recursion = KernelRecursion(try Self.architecture(.relu, depth: 2, conv))
            XCTAssertLessThan(Self.worst(try recursion.kernels(x), try recursion.kernels(moved)), 1e-13, "\(readout)")
            let (a, b) = (0..<2, 2..<4)
            XCTAssertLessThan(Self.worst(try recursion.kernels(x.rows(a), x.rows(b)),
                                         try recursion.kernels(moved.rows(a), moved.rows(b))), 1e-13, "\(readout)")
            if readout == .globalAveragePool {
                // Pooling over all pixel pairs makes the kernel invariant under shifting one image
                // alone. The pair (x, shifted x) has exactly parallel pixel pairs, where ReLU's angle
                // from rounded covariances is ~1e-8 off (det is not carried through convolutions).
                XCTAssertLessThan(Self.worst(try recursion.kernels(x, moved), try recursion.kernels(x, x)), 1e-8)
            }
            // Same padding is not translation invariant: the border breaks the symmetry.
            let same = try Convolution(filterHeight: 3, filterWidth: 3, imageHeight: h, imageWidth: w, channels: c,
                                       padding: .same, readout: readout)
            let bordered = KernelRecursion(try Self.architecture(.relu, depth: 2, same))
            XCTAssertGreaterThan(Self.worst(try bordered.kernels(x), try bordered.kernels(moved)), 1e-3)
        }
    }

    /// Both readouts against a direct recursion on the full pixel-pair kernel of each pair
    /// (written here from the definitions, loops over filter taps, closed-form erf and ReLU maps):
    /// GAP = mean over all pixel pairs, flatten = mean over the spatial diagonal. Rectangular
    /// filters, several channels and both paddings.
    func testReadoutsAreMeansOfTheDirectPixelPairKernel() throws {
        let settings: [(Int, Int, Int, Int, Int, Convolution.Padding, Activation)] = [
            (4, 3, 2, 3, 1, .same, .erf), (3, 5, 1, 3, 3, .circular, .relu), (5, 4, 3, 5, 3, .same, .relu),
            (2, 2, 1, 3, 5, .circular, .erf),
        ]
        for (h, w, c, kh, kw, padding, activation) in settings {
            let x1 = Self.randomImages(3, h * w * c, seed: 4), x2 = Self.randomImages(2, h * w * c, seed: 5)
            let direct = DirectPixelPairKernel(h: h, w: w, c: c, kh: kh, kw: kw, padding: padding, activation: activation,
                                               weightVariance: 1.69, biasVariance: 0.09, depth: 2)
            for readout in Convolution.Readout.allCases {
                let conv = try Convolution(filterHeight: kh, filterWidth: kw, imageHeight: h, imageWidth: w, channels: c,
                                           padding: padding, readout: readout)
                let k = try KernelRecursion(try Self.architecture(activation, depth: 2, conv)).kernels(x1, x2)
                for i in 0..<x1.rows {
                    for j in 0..<x2.rows {
                        let (sigma, theta) = direct.pair(x1.row(i), x2.row(j))
                        let sites = readout == .flatten ? (0..<(h * w)).map { ($0, $0) }
                            : (0..<(h * w)).flatMap { p in (0..<(h * w)).map { (p, $0) } }
                        let meanSigma = sites.map { sigma[$0.0][$0.1] }.reduce(0, +) / Double(sites.count)
                        let meanTheta = sites.map { theta[$0.0][$0.1] }.reduce(0, +) / Double(sites.count)
                        let nngp = 0.81 * meanSigma + 0.04, body = 0.81 * meanTheta
                        let label = "\(h)x\(w)x\(c) \(kh)x\(kw) \(padding) \(activation) \(readout) (\(i),\(j))"
                        XCTAssertEqual(k.nngp[i, j], nngp, accuracy: 1e-12 * abs(nngp), label)
                        XCTAssertEqual(k.body[i, j], body, accuracy: 1e-12 * abs(body), label)
                        XCTAssertEqual(k.ntk[i, j], nngp + body, accuracy: 1e-12 * abs(nngp + body), label)
                        XCTAssertEqual(k.head[i, j], k.nngp[i, j])
                    }
                }
            }
        }
    }

    /// A depth sweep from one pass equals separate calls; a cross call X×X equals the symmetric
    /// call (whose diagonal takes the exact diagonal maps) to round-off.
    func testDepthSweepAndCrossCallAgree() throws {
        let x = Self.randomImages(5, 4 * 4 * 1, seed: 6)
        for readout in Convolution.Readout.allCases {
            let conv = try Convolution(filterHeight: 3, filterWidth: 3, imageHeight: 4, imageWidth: 4, channels: 1,
                                       readout: readout)
            let recursion = KernelRecursion(try Self.architecture(.relu, depth: 3, conv))
            let sweep = try recursion.kernels(x, depths: [3, 1, 2])
            for (k, depth) in [3, 1, 2].enumerated() {
                let single = try KernelRecursion(try Self.architecture(.relu, depth: depth, conv)).kernels(x)
                XCTAssertEqual(sweep[k].depth, depth)
                XCTAssertLessThan(Self.worst(sweep[k], single), 1e-15, "\(readout) depth \(depth)")
            }
            let symmetric = try recursion.kernels(x)
            XCTAssertEqual(symmetric.ntk, symmetric.ntk.transposed())
            XCTAssertLessThan(Self.worst(try recursion.kernels(x, x), symmetric), 1e-7, "\(readout)")
        }
    }

    /// A 32×32 image leaves room for 16 pairs per tile (16 K values per buffer), so a 20-point
    /// kernel runs in several tiles per row; global average pooling on 16×16 runs 961 offset
    /// classes per tile. Blocks of both equal kernels computed alone.
    func testTiledKernelsEqualBlocksComputedAlone() throws {
        for (size, readout, n) in [(32, Convolution.Readout.flatten, 20), (16, .globalAveragePool, 6)] {
            let conv = try Convolution(filterHeight: 3, filterWidth: 3, imageHeight: size, imageWidth: size, channels: 1,
                                       padding: .same, readout: readout)
            let recursion = KernelRecursion(try Self.architecture(.erf, depth: 2, conv))
            let x = Self.randomImages(n, size * size, seed: 7)
            let full = try recursion.kernels(x)
            let rows = (n - 3)..<n, columns = 0..<2
            let alone = try recursion.kernels(x.rows(rows), x.rows(columns))
            XCTAssertLessThan(Self.worst(full.block(rows: rows, columns: columns), alone), 1e-13, "\(readout)")
            let corner = try recursion.kernels(x.rows(0..<1), x.rows((n - 1)..<n))
            XCTAssertLessThan(Self.worst(full.block(rows: 0..<1, columns: (n - 1)..<n), corner), 1e-13, "\(readout)")
        }
    }

    func testInputsThatAreNotImagesAreRefused() throws {
        let conv = try Convolution(filterHeight: 3, filterWidth: 3, imageHeight: 2, imageWidth: 2, channels: 1)
        let recursion = KernelRecursion(try Self.architecture(.relu, depth: 1, conv))
        XCTAssertThrowsError(try recursion.kernels(Self.randomImages(2, 5, seed: 1))) {
            XCTAssertTrue("\($0)".contains("2x2x1"), "\($0)")
        }
        XCTAssertThrowsError(try Convolution(filterHeight: 2, filterWidth: 3, imageHeight: 2, imageWidth: 2, channels: 1))
        XCTAssertThrowsError(try Convolution(filterHeight: 3, filterWidth: 3, imageHeight: 0, imageWidth: 2, channels: 1))
        XCTAssertThrowsError(try Architecture(depth: 1, activation: .relu, parameterization: .standard(hiddenWidth: 4),
                                              convolution: conv))
    }
}

/// The pixel-pair kernels Σ^L[p, p'] (after the last activation, Σ̂) and the matching
/// Σ̇^L ⊙ Θ^L of one pair of images, by direct loops over the definitions.
struct DirectPixelPairKernel {
    let h: Int, w: Int, c: Int, kh: Int, kw: Int
    let padding: Convolution.Padding
    let activation: Activation
    let weightVariance: Double, biasVariance: Double
    let depth: Int

    private func pixel(_ y: Int, _ x: Int) -> Int? {
        switch padding {
        case .same: return (0..<h).contains(y) && (0..<w).contains(x) ? y * w + x : nil
        case .circular: return ((y % h + h) % h) * w + (x % w + w) % w
        }
    }

    private func convolve(_ s: [[Double]], shift: Double) -> [[Double]] {
        let n = h * w
        var out = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for p in 0..<n {
            for q in 0..<n {
                var sum = 0.0
                for dy in -(kh / 2)...(kh / 2) {
                    for dx in -(kw / 2)...(kw / 2) {
                        if let a = pixel(p / w + dy, p % w + dx), let b = pixel(q / w + dy, q % w + dx) { sum += s[a][b] }
                    }
                }
                out[p][q] = weightVariance * sum / Double(kh * kw) + shift
            }
        }
        return out
    }

    private func maps(_ q1: Double, _ q2: Double, _ s: Double) -> (Double, Double) {
        if activation == .erf {
            let a = (1 + 2 * q1) * (1 + 2 * q2)
            return (2 / Double.pi * asin(2 * s / a.squareRoot()), 4 / Double.pi / (a - 4 * s * s).squareRoot())
        }
        let r = (q1 * q2).squareRoot(), theta = acos(max(-1, min(1, s / r)))
        return (r * (sin(theta) + (Double.pi - theta) * cos(theta)) / (2 * Double.pi), (Double.pi - theta) / (2 * Double.pi))
    }

    /// (Σ̂^L, Σ̇^L ⊙ Θ^L) over all pixel pairs of the images a, b (rows of H·W·C, NHWC).
    func pair(_ a: [Double], _ b: [Double]) -> ([[Double]], [[Double]]) {
        let n = h * w
        func products(_ u: [Double], _ v: [Double]) -> [[Double]] {
            (0..<n).map { p in (0..<n).map { q in (0..<c).reduce(0) { $0 + u[p * c + $1] * v[q * c + $1] } / Double(c) } }
        }
        var s12 = products(a, b), s11 = products(a, a), s22 = products(b, b)
        var theta = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for _ in 1...depth {
            s12 = convolve(s12, shift: biasVariance)
            s11 = convolve(s11, shift: biasVariance)
            s22 = convolve(s22, shift: biasVariance)
            let conv = convolve(theta, shift: 0)
            var hat12 = s12, hat11 = s11, hat22 = s22
            for p in 0..<n {
                for q in 0..<n {
                    theta[p][q] = conv[p][q] + s12[p][q]
                    let (hat, dot) = maps(s11[p][p], s22[q][q], s12[p][q])
                    hat12[p][q] = hat
                    theta[p][q] *= dot
                    hat11[p][q] = maps(s11[p][p], s11[q][q], s11[p][q]).0
                    hat22[p][q] = maps(s22[p][p], s22[q][q], s22[p][q]).0
                }
            }
            (s12, s11, s22) = (hat12, hat11, hat22)
        }
        return (s12, theta)
    }
}
