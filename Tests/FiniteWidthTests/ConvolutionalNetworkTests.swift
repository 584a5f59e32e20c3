import FiniteWidth
import InfiniteWidth
import LinearAlgebra
import XCTest

/// Finite convolutional networks: exact gradients, and empirical kernels that approach the CNTK
/// at the 1/√channels rate.
final class ConvolutionalNetworkTests: XCTestCase {
    static func architecture(_ readout: Convolution.Readout, _ padding: Convolution.Padding,
                             activation: Activation = .erf) throws -> Architecture {
        let conv = try Convolution(filterHeight: 3, filterWidth: 3, imageHeight: 4, imageWidth: 3, channels: 2,
                                   padding: padding, readout: readout)
        return try Architecture(depth: 2, activation: activation, weightStd: 1.5, biasStd: 0.2,
                                readoutWeightStd: 1.1, readoutBiasStd: 0.3, convolution: conv)
    }

    static func images(_ n: Int, seed: UInt64) -> Matrix {
        var generator = SeededGenerator(seed: seed)
        return Matrix.randomNormal(rows: n, columns: 4 * 3 * 2, using: &generator)
    }

    /// The Jacobian equals central differences of the outputs in every parameter (smooth erf).
    func testJacobianMatchesCentralDifferences() throws {
        for (readout, padding) in [(Convolution.Readout.flatten, Convolution.Padding.same), (.globalAveragePool, .circular)] {
            var network = try ConvolutionalNetwork(architecture: Self.architecture(readout, padding), channels: 3, seed: 5)
            let x = Self.images(2, seed: 6)
            let jacobian = try network.jacobian(x)
            let step = 1e-6
            for k in stride(from: 0, to: network.parameterCount, by: 7) {
                let saved = network.parameters[k]
                network.parameters[k] = saved + step
                let up = try network.outputs(x)
                network.parameters[k] = saved - step
                let down = try network.outputs(x)
                network.parameters[k] = saved
                for i in 0..<x.rows {
                    let difference = (up[i, 0] - down[i, 0]) / (2 * step)
                    // Central differences: O(step²) truncation and O(ε/step) round-off, ~1e-9 here.
                    XCTAssertEqual(jacobian[i, k], difference, accuracy: 1e-7 * max(1, abs(difference)),
                                   "\(readout) parameter \(k) image \(i)")
                }
            }
        }
    }

    /// Θ̂ = J·Jᵀ and K̂ approach the CNTK's Θ and head kernel with relative Frobenius error
    /// O(1/√c): the least-squares slope of log(median over 6 seeds) against log(c), c = 16 … 256,
    /// lies in [−0.7, −0.3] (fixed seeds: reproducible, the band guards against regressions; a
    /// wrong kernel convention gives an error floor, slope ≈ 0).
    func testEmpiricalKernelsConvergeToTheCNTKAtRateOneOverRootChannels() throws {
        let channels = [16, 32, 64, 128, 256]
        for (readout, padding, activation) in [(Convolution.Readout.flatten, Convolution.Padding.same, Activation.relu),
                                               (.globalAveragePool, .circular, .erf)] {
            let architecture = try Self.architecture(readout, padding, activation: activation)
            let x = Self.images(3, seed: 9)
            let analytic = try KernelRecursion(architecture).kernels(x)
            var ntkMedians: [Double] = [], headMedians: [Double] = []
            for c in channels {
                var ntk: [Double] = [], head: [Double] = []
                for seed in UInt64(1)...6 {
                    let network = try ConvolutionalNetwork(architecture: architecture, channels: c, seed: seed)
                    let empirical = try network.empiricalKernels(x)
                    ntk.append(empirical.ntk.relativeFrobeniusError(analytic.ntk))
                    head.append(empirical.head.relativeFrobeniusError(analytic.head))
                }
                ntkMedians.append(ntk.sorted()[ntk.count / 2])
                headMedians.append(head.sorted()[head.count / 2])
                print("ConvolutionalNetwork \(readout) \(activation) c=\(c): median relative error Θ̂ \(ntkMedians.last!), K̂ \(headMedians.last!)")
            }
            let logChannels = channels.map { log(Double($0)) }
            for (kernel, medians) in [("Θ̂", ntkMedians), ("K̂", headMedians)] {
                let slope = Self.slope(logChannels, medians.map { log($0) })
                print("ConvolutionalNetwork \(readout): fitted slope of log error vs log channels for \(kernel): \(slope)")
                XCTAssertTrue((-0.7)...(-0.3) ~= slope, "\(readout) \(kernel): slope \(slope)")
            }
            XCTAssertLessThan(ntkMedians.last!, 0.1, "\(readout): Θ̂ at 256 channels")
        }
    }

    /// The fully connected network refuses a convolutional architecture, and the convolutional
    /// network a fully connected one (the trainers pick the network from the architecture).
    func testEachNetworkRefusesTheOtherKindOfArchitecture() throws {
        let convolutional = try Self.architecture(.flatten, .same)
        XCTAssertThrowsError(try FullyConnectedNetwork(architecture: convolutional, inputDimension: 24, width: 4, seed: 1)) {
            XCTAssertEqual($0 as? FiniteWidthError, .convolutionalArchitecture)
        }
        let dense = try Architecture(depth: 2, activation: .relu)
        XCTAssertThrowsError(try ConvolutionalNetwork(architecture: dense, channels: 4, seed: 1)) {
            XCTAssertEqual($0 as? FiniteWidthError, .fullyConnectedArchitecture)
        }
        XCTAssertThrowsError(try ConvolutionalNetwork(architecture: convolutional, channels: 0, seed: 1))
        XCTAssertThrowsError(try ConvolutionalNetwork(architecture: convolutional, channels: 2, seed: 1)
            .outputs(Self.images(1, seed: 1).block(rows: 0..<1, columns: 0..<5)))
    }

    static func slope(_ x: [Double], _ y: [Double]) -> Double {
        let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
        let sxy = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        return sxy / x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
    }
}

extension Matrix {
    /// ‖self − reference‖_F / ‖reference‖_F.
    func relativeFrobeniusError(_ reference: Matrix) -> Double {
        let difference = zip(elements, reference.elements).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        return (difference / reference.elements.reduce(0) { $0 + $1 * $1 }).squareRoot()
    }
}
