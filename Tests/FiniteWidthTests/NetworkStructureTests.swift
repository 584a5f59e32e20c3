import FiniteWidth
import InfiniteWidth
import LinearAlgebra
import XCTest

/// The parameter layout, seeded initialisation, body/head split and centered outputs.
final class NetworkStructureTests: XCTestCase {
    /// One flat buffer: L hidden layers (W then b) first, the readout last; d·h + h + (L−1)(h² + h)
    /// body parameters and k·h + k head parameters.
    func testParameterLayout() throws {
        let (d, h, k, depth) = (3, 5, 2, 3)
        let network = try TestNetworks.network(.relu, .ntk, depth: depth, inputDimension: d, width: h, outputs: k)
        XCTAssertEqual(network.bodyParameters, 0..<(d * h + h + (depth - 1) * (h * h + h)))
        XCTAssertEqual(network.headParameters, network.bodyParameters.upperBound..<(network.bodyParameters.upperBound + k * h + k))
        XCTAssertEqual(network.parameterCount, network.parameters.count)
        XCTAssertEqual(network.layers.count, depth + 1)
        for (previous, next) in zip(network.layers, network.layers.dropFirst()) {
            XCTAssertEqual(previous.parameters.upperBound, next.offset)
            XCTAssertEqual(previous.fanOut, next.fanIn)
        }
        XCTAssertEqual(network.layers[0].weightMultiplier, 1.2 / 3.0.squareRoot(), accuracy: 1e-16)
        XCTAssertEqual(network.readout.weightMultiplier, 0.9 / 5.0.squareRoot(), accuracy: 1e-16)
        XCTAssertEqual(network.readout.biasMultiplier, 0.3)
    }

    /// The seed alone fixes the network; each layer has its own stream, so a deeper network
    /// shares every common layer and the head with a shallower one, and a different seed differs.
    func testInitializationIsReproducibleLayerByLayer() throws {
        let a = try TestNetworks.network(.tanh, .ntk, depth: 2, width: 6, seed: 5)
        let b = try TestNetworks.network(.tanh, .ntk, depth: 2, width: 6, seed: 5)
        let deeper = try TestNetworks.network(.tanh, .ntk, depth: 3, width: 6, seed: 5)
        let other = try TestNetworks.network(.tanh, .ntk, depth: 2, width: 6, seed: 6)
        XCTAssertEqual(a.parameters, b.parameters)
        XCTAssertNotEqual(a.parameters, other.parameters)
        for l in 0..<2 {
            XCTAssertEqual(Array(a.parameters[a.layers[l].parameters]), Array(deeper.parameters[deeper.layers[l].parameters]))
        }
        XCTAssertEqual(Array(a.parameters[a.headParameters]), Array(deeper.parameters[deeper.headParameters]))
    }

    /// NTK parameterization draws N(0, 1); standard draws W ~ N(0, σ_w²/fan_in) and b ~ N(0, σ_b²),
    /// with b = 0 when σ_b = 0. Sample standard deviations of ~10⁴ draws are within 3% (≈ 4σ).
    func testInitialDistributions() throws {
        let h = 100
        let ntk = try TestNetworks.network(.relu, .ntk, inputDimension: 50, width: h)
        let standard = try TestNetworks.network(.relu, .standard(hiddenWidth: h), inputDimension: 50, width: h)
        func std(_ values: ArraySlice<Double>) -> Double {
            (values.reduce(0) { $0 + $1 * $1 } / Double(values.count)).squareRoot()
        }
        XCTAssertEqual(std(ntk.parameters[ntk.layers[1].weights]), 1, accuracy: 0.03)
        XCTAssertEqual(std(standard.parameters[standard.layers[1].weights]), 1.2 / 10, accuracy: 0.03 * 0.12)
        XCTAssertEqual(std(standard.parameters[standard.layers[0].weights]), 1.2 / 50.0.squareRoot(), accuracy: 0.03 * 0.17)
        XCTAssertTrue(standard.parameters[standard.layers[1].biases].allSatisfy { $0 == 0 })
        XCTAssertEqual(standard.layers[1].biasMultiplier, 1, "the bias is trainable even when σ_b = 0")
    }

    /// The forward pass is the formula of theory.md §1, evaluated entry by entry here.
    func testForwardPassMatchesTheFormula() throws {
        let network = try TestNetworks.network(.softplus, .ntk, depth: 2, inputDimension: 3, width: 4, outputs: 2)
        let x = TestNetworks.gaussian(3, 3, seed: 51)
        let f = try network.outputs(x)
        let theta = network.parameters
        for i in 0..<3 {
            var h = x.row(i)
            for layer in network.layers {
                var z = [Double](repeating: 0, count: layer.fanOut)
                for r in 0..<layer.fanOut {
                    let w = (0..<layer.fanIn).reduce(0) { $0 + theta[layer.weights.lowerBound + r * layer.fanIn + $1] * h[$1] }
                    z[r] = layer.weightMultiplier * w + layer.biasMultiplier * theta[layer.biases.lowerBound + r]
                }
                h = layer == network.readout ? z : z.map(Activation.softplus.value)
            }
            for o in 0..<2 { XCTAssertEqual(f[i, o], h[o], accuracy: 1e-14 * max(1, abs(h[o]))) }
        }
    }

    /// The split used by MTL trainers reproduces the whole: head(features) = f, and the body
    /// gradient through the feature gradient plus the head gradient is the full gradient. A
    /// second head on the same body gives the gradient of Σ_i ½‖head_i(body(X_i)) − Y_i‖².
    func testBodyAndHeadSplitReproducesTheNetwork() throws {
        let network = try TestNetworks.network(.gelu, .ntk, width: 8, outputs: 2)
        let x = TestNetworks.gaussian(5, 4, seed: 52), y = TestNetworks.gaussian(5, 2, seed: 53)
        let trace = try network.traceBody(x)
        XCTAssertEqual(network.headOutputs(features: trace.features), try network.outputs(x))
        XCTAssertEqual(trace.features, try network.features(x))

        let residual = try network.outputs(x) - y
        let body = network.bodyGradient(featureGradient: network.featureGradient(outputGradient: residual), trace: trace)
        let head = network.headGradient(features: trace.features, outputGradient: residual)
        let full = try network.lossGradient(x, targets: y).gradient
        XCTAssertLessThan(TestNetworks.relativeError(body + head, full), 1e-15)

        // Two heads on one body: the body gradient is the sum of the two heads' contributions.
        var generator = SeededGenerator(seed: 54)
        let secondHead = network.drawHead(using: &generator)
        let x2 = TestNetworks.gaussian(4, 4, seed: 55), y2 = TestNetworks.gaussian(4, 2, seed: 56)
        let trace2 = try network.traceBody(x2)
        let residual2 = network.headOutputs(features: trace2.features, head: secondHead) - y2
        let body2 = network.bodyGradient(featureGradient: network.featureGradient(outputGradient: residual2, head: secondHead),
                                         trace: trace2)
        let v = TestNetworks.direction(for: network, seed: 57, positions: network.bodyParameters)
        let epsilon = 1e-5
        func mtlLoss(_ theta: [Double]) throws -> Double {
            let moved = TestNetworks.with(network, parameters: theta)
            let r1 = try moved.outputs(x) - y
            let r2 = moved.headOutputs(features: try moved.features(x2), head: secondHead) - y2
            return 0.5 * (r1.elements + r2.elements).reduce(0) { $0 + $1 * $1 }
        }
        let difference = try TestNetworks.centralDifference(at: network.parameters, along: v, step: epsilon) {
            [try mtlLoss($0)]
        }[0]
        let exact = TestNetworks.dot(zip(body, body2).map { $0 + $1 }, Array(v[network.bodyParameters]))
        XCTAssertEqual(difference, exact, accuracy: 1e-6 * abs(exact), "central difference, tolerance as in GradientTests")
    }

    /// Centered outputs: zero at initialisation, f_θ − f_θ₀ after a change of θ; the loss, its
    /// gradient and its HVP with an offset are those of uncentered outputs with targets Y + offset.
    func testCenteredOutputs() throws {
        var network = try TestNetworks.network(.erf, .standard(hiddenWidth: 12), outputs: 2)
        let centering = OutputCentering(initial: network)
        let x = TestNetworks.gaussian(5, 4, seed: 58), y = TestNetworks.gaussian(5, 2, seed: 59)
        let offset = try centering.offset(x)
        XCTAssertEqual(try network.outputs(x, offset: offset).maxAbs, 0)

        network.parameters = TestNetworks.step(network.parameters, 0.1, TestNetworks.direction(for: network, seed: 60))
        XCTAssertEqual(try network.outputs(x, offset: offset), try network.outputs(x) - centering.initialNetwork.outputs(x))
        let shifted = y + offset
        let centered = try network.lossGradient(x, targets: y, offset: offset)
        let plain = try network.lossGradient(x, targets: shifted)
        // (f − offset) − Y and f − (Y + offset) differ by round-off in the residual only.
        XCTAssertEqual(centered.loss, plain.loss, accuracy: 1e-13 * plain.loss)
        XCTAssertLessThan(TestNetworks.relativeError(centered.gradient, plain.gradient), 1e-13)
        let v = TestNetworks.direction(for: network, seed: 61)
        XCTAssertLessThan(TestNetworks.relativeError(try network.hessianVectorProduct(x, targets: y, direction: v, offset: offset),
                                                     try network.hessianVectorProduct(x, targets: shifted, direction: v)), 1e-13)
    }
}
