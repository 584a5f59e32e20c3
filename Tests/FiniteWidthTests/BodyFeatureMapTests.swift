import FiniteWidth
import InfiniteWidth
import LinearAlgebra
import XCTest

/// The body-feature-map interface that the trainers' head code reads: features H_θ(X) and the
/// vector–Jacobian product J_bodyᵀ·vec(G), for fully connected and convolutional bodies.
final class BodyFeatureMapTests: XCTestCase {
    /// bodyGradient(G, X) equals central differences of ⟨G, H_θ(X)⟩ in every body parameter
    /// (a sample of them), for a random G.
    func checkBodyGradient<Body: BodyFeatureMap>(_ network: Body, _ x: Matrix, label: String) throws {
        var network = network
        let g = TestNetworks.gaussian(x.rows, network.featureCount, seed: 21)
        let gradient = try network.bodyGradient(featureGradient: g, inputs: x)
        XCTAssertEqual(gradient.count, network.bodyParameters.count, label)
        func pairing() throws -> Double {
            let h = try network.features(x)
            return zip(h.elements, g.elements).reduce(0) { $0 + $1.0 * $1.1 }
        }
        let step = 1e-6
        var checked = 0
        for k in stride(from: 0, to: network.bodyParameters.count, by: 5) {
            let saved = network.parameters[k]
            network.parameters[k] = saved + step
            let up = try pairing()
            network.parameters[k] = saved - step
            let down = try pairing()
            network.parameters[k] = saved
            let difference = (up - down) / (2 * step)
            // O(step²) truncation plus O(ε·|⟨G, H⟩|/step) round-off: ~1e-9 at these sizes.
            XCTAssertEqual(gradient[k], difference, accuracy: 1e-7 * max(1, abs(difference)), "\(label) parameter \(k)")
            checked += 1
        }
        XCTAssertGreaterThan(checked, 10, label)
    }

    func testConvolutionalBodyGradientMatchesCentralDifferences() throws {
        for (readout, padding) in [(Convolution.Readout.flatten, Convolution.Padding.same), (.globalAveragePool, .circular)] {
            let architecture = try ConvolutionalNetworkTests.architecture(readout, padding)
            let network = try ConvolutionalNetwork(architecture: architecture, channels: 3, seed: 5)
            XCTAssertEqual(network.featureCount, readout == .flatten ? 4 * 3 * 3 : 3)
            try checkBodyGradient(network, ConvolutionalNetworkTests.images(3, seed: 6), label: "\(readout) \(padding)")
        }
    }

    func testFullyConnectedBodyGradientMatchesCentralDifferences() throws {
        let network = try TestNetworks.network(.erf, .ntk)
        XCTAssertEqual(network.featureCount, network.width)
        try checkBodyGradient(network, TestNetworks.sphere(3, 4, seed: 8), label: "fully connected")
    }

    /// The conv network's output is the shared linear head on its features,
    /// f(x) = (σ_w,out/√F)·⟨w, H(x)⟩ + σ_b,out·b, so head-only training sees the same features.
    func testConvolutionalOutputsAreTheLinearHeadOnTheFeatures() throws {
        let architecture = try ConvolutionalNetworkTests.architecture(.globalAveragePool, .same)
        let network = try ConvolutionalNetwork(architecture: architecture, channels: 4, seed: 3)
        let x = ConvolutionalNetworkTests.images(3, seed: 4)
        let features = try network.features(x), outputs = try network.outputs(x)
        let head = Array(network.parameters[network.headParameters])
        let scale = 1.1 / Double(network.featureCount).squareRoot()
        for i in 0..<x.rows {
            let f = scale * (0..<network.featureCount).reduce(0) { $0 + head[$1] * features[i, $1] } + 0.3 * head.last!
            // Same products in another summation order: a few ulps.
            XCTAssertEqual(outputs[i, 0], f, accuracy: 1e-12 * max(1, abs(f)), "image \(i)")
        }
    }

    /// The shared head code on a conv network: headOutputs(H) = f, headGradient + featureGradient
    /// followed by the body's vector–Jacobian product give Jᵀ·g, the Jacobian (itself checked
    /// against central differences) transposed times an output gradient g.
    func testSharedHeadOnConvolutionalFeaturesGivesJacobianTransposeProducts() throws {
        for readout in [Convolution.Readout.flatten, .globalAveragePool] {
            let architecture = try ConvolutionalNetworkTests.architecture(readout, .same)
            let network = try ConvolutionalNetwork(architecture: architecture, channels: 3, seed: 11)
            let x = ConvolutionalNetworkTests.images(3, seed: 12)
            let features = try network.features(x)
            let outputs = try network.outputs(x), head = network.headOutputs(features: features)
            let g = TestNetworks.gaussian(x.rows, 1, seed: 13)
            let body = try network.bodyGradient(featureGradient: network.featureGradient(outputGradient: g), inputs: x)
            let gradient = body + network.headGradient(features: features, outputGradient: g)
            let jacobian = try network.jacobian(x)
            XCTAssertEqual(gradient.count, network.parameterCount)
            for i in 0..<x.rows {
                // One dot product in two summation orders: a few ulps.
                XCTAssertEqual(head[i, 0], outputs[i, 0], accuracy: 1e-12 * max(1, abs(outputs[i, 0])), "\(readout) f(x_\(i))")
            }
            for k in 0..<network.parameterCount {
                let expected = (0..<x.rows).reduce(0) { $0 + jacobian[$1, k] * g[$1, 0] }
                // The same products summed per image vs. in one backward pass over the batch.
                XCTAssertEqual(gradient[k], expected, accuracy: 1e-12 * max(1, abs(expected)), "\(readout) parameter \(k)")
            }
        }
    }
}
