import FewShot
import FiniteWidth
import InfiniteWidth
import LinearAlgebra
import Paradigms
import XCTest

/// The convolutional network's loss gradient (k = 2 outputs, centered), exact Hessian-vector
/// products and the meta-gradients of the trainers built on them, against central differences.
///
/// Tolerance (as in `HessianVectorProductTests` and `MetaGradientTests`): the fourth-order
/// central difference at ε = 1e-5 has negligible truncation error and round-off ≈ 1.5e-11
/// relative to the differenced values, ~1e-10 of the result; 1e-6 leaves four orders for
/// ill-conditioned directions. A missing term of the R-pass (φ'', R{P}ᵀ·D, D·Vᵀ, the readout's
/// G·V) or of the meta-gradient recursion is an O(1e-2–1) error. ReLU is piecewise smooth; the
/// seeds are fixed and no kink lies within 2ε of the evaluation points.
final class ConvolutionalSecondOrderTests: XCTestCase {
    static let epsilon = 1e-5

    /// 4×4×1 images, depth 2, 3×3 filters.
    static func architecture(_ readout: Convolution.Readout, _ padding: Convolution.Padding,
                             activation: Activation, depth: Int = 2, imageChannels: Int = 1) throws -> Architecture {
        let conv = try Convolution(filterHeight: 3, filterWidth: 3, imageHeight: 4, imageWidth: 4, channels: imageChannels,
                                   padding: padding, readout: readout)
        return try Architecture(depth: depth, activation: activation, weightStd: 1.3, biasStd: 0.2,
                                readoutWeightStd: 1.1, readoutBiasStd: 0.3, convolution: conv)
    }

    static let cases: [(Convolution.Readout, Convolution.Padding, Activation)] = [
        (.flatten, .same, .erf), (.globalAveragePool, .circular, .tanh), (.flatten, .circular, .relu),
        (.globalAveragePool, .same, .gelu),
    ]

    func testLossGradientMatchesDifferencesOfTheLoss() throws {
        for (readout, padding, activation) in Self.cases {
            let network = try ConvolutionalNetwork(architecture: Self.architecture(readout, padding, activation: activation),
                                                   channels: 5, outputs: 2, seed: 3)
            let x = TestNetworks.gaussian(3, 16, seed: 4), y = TestNetworks.gaussian(3, 2, seed: 5)
            let offset = TestNetworks.gaussian(3, 2, seed: 6, scale: 0.1)
            let v = TrainerFixtures.gaussianVector(network.parameterCount, seed: 7)
            let gradient = try network.lossGradient(x, targets: y, offset: offset).gradient
            let difference = try TestNetworks.centralDifference(at: network.parameters, along: v, step: Self.epsilon) {
                var moved = network
                moved.parameters = $0
                return [Self.halfSquaredNorm(try moved.outputs(x, offset: offset) - y)]
            }[0]
            let name = "\(readout) \(padding) \(activation)"
            XCTAssertEqual(TestNetworks.dot(gradient, v), difference, accuracy: 1e-6 * abs(difference), name)
        }
    }

    func testHessianVectorProductMatchesDifferencesOfTheGradient() throws {
        var worst = 0.0
        for (readout, padding, activation) in Self.cases {
            for k in [1, 2] {
                let network = try ConvolutionalNetwork(
                    architecture: Self.architecture(readout, padding, activation: activation, imageChannels: 2),
                    channels: 4, outputs: k, seed: 8)
                let x = TestNetworks.gaussian(3, 32, seed: 9), y = TestNetworks.gaussian(3, k, seed: 10)
                let offset = TestNetworks.gaussian(3, k, seed: 11, scale: 0.1)
                let w = TrainerFixtures.gaussianVector(network.parameterCount, seed: 12)
                let hw = try network.hessianVectorProduct(x, targets: y, direction: w, offset: offset)
                let difference = try TestNetworks.centralDifference(at: network.parameters, along: w, step: Self.epsilon) {
                    var moved = network
                    moved.parameters = $0
                    return try moved.lossGradient(x, targets: y, offset: offset).gradient
                }
                let error = TestNetworks.relativeError(hw, difference)
                worst = max(worst, error)
                XCTAssertLessThan(error, 1e-6, "\(readout) \(padding) \(activation) k=\(k)")
            }
        }
        print("FiniteWidth: conv worst relative HVP error vs central differences of the gradient: \(worst)")
    }

    /// With k = 2 outputs, unit 1's Jacobian rows are the central differences of f_1, and K̂ (the
    /// readout's tangent kernel) is the same for both units (same products: 1e-12).
    func testSecondOutputUnitHasItsOwnJacobianAndTheSameHeadKernel() throws {
        let network = try ConvolutionalNetwork(architecture: Self.architecture(.flatten, .same, activation: .erf),
                                               channels: 3, outputs: 2, seed: 18)
        let x = TestNetworks.gaussian(3, 16, seed: 19)
        let jacobian = try network.jacobian(x, outputIndex: 1)
        let v = TrainerFixtures.gaussianVector(network.parameterCount, seed: 20)
        let difference = try TestNetworks.centralDifference(at: network.parameters, along: v, step: Self.epsilon) {
            var moved = network
            moved.parameters = $0
            return (0..<x.rows).map { i in (try? moved.outputs(x))?[i, 1] ?? .nan }
        }
        for i in 0..<x.rows {
            let jv = (0..<network.parameterCount).reduce(0) { $0 + jacobian[i, $1] * v[$1] }
            XCTAssertEqual(jv, difference[i], accuracy: 1e-6 * max(1, abs(difference[i])), "image \(i)")
        }
        let (k0, k1) = (try network.empiricalKernels(x).head, try network.empiricalKernels(x, outputIndex: 1).head)
        XCTAssertLessThan(k1.maxRelativeDifference(to: k0), 1e-12)
    }

    /// vᵀ(Hw) = wᵀ(Hv) to round-off (1e-12 of ‖v‖·‖Hw‖, as for the fully connected network).
    func testHessianIsSymmetric() throws {
        for (readout, padding, activation) in Self.cases {
            let network = try ConvolutionalNetwork(architecture: Self.architecture(readout, padding, activation: activation),
                                                   channels: 4, outputs: 2, seed: 13)
            let x = TestNetworks.gaussian(3, 16, seed: 14), y = TestNetworks.gaussian(3, 2, seed: 15)
            let v = TrainerFixtures.gaussianVector(network.parameterCount, seed: 16)
            let w = TrainerFixtures.gaussianVector(network.parameterCount, seed: 17)
            let hv = try network.hessianVectorProduct(x, targets: y, direction: v)
            let hw = try network.hessianVectorProduct(x, targets: y, direction: w)
            let asymmetry = abs(TestNetworks.dot(v, hw) - TestNetworks.dot(w, hv)) / (TestNetworks.norm(v) * TestNetworks.norm(hw))
            XCTAssertLessThan(asymmetry, 1e-12, "\(readout) \(padding) \(activation)")
        }
    }

    /// MAML's and ANIL's exact meta-gradients on a conv network (τ = 2 inner steps at
    /// λ = 0.8/max λ_max(κ̂(X'_i, X'_i)), k = 2) along a random direction, against central
    /// differences of the outer loss (inner loops included); and MTL's outer gradient. Smooth
    /// activations only: through two inner steps on 7 images × 16 pixels × 6 channels, a ReLU
    /// kink within 2ε of the evaluation points is likely (measured: MAML off by 0.3% on one).
    func testMetaGradientsMatchDifferencesOfTheOuterLoss() throws {
        let tasks = try ConvolutionalTrainerTests.tasks(outputs: 2)
        for (readout, padding, activation) in Self.cases where activation != .relu {
            let architecture = try Self.architecture(readout, padding, activation: activation)
            let name = "\(readout) \(padding) \(activation)"
            var learners: [(String, any FiniteLearner)] = []
            for method in GBMLMethod.allCases {
                let largest = try ConvolutionalTrainerTests.largestSupportEigenvalue(tasks, architecture, width: 6, seed: 3,
                                                                                     method: method)
                let settings = GBMLSettings(method: method, innerSolver: .gradientDescent(rate: 0.8 / largest, steps: 2),
                                            training: .gradientDescent(rate: 1e-3, steps: 1))
                learners.append(("\(method)", try ConvolutionalGBML(tasks: tasks, architecture: architecture, width: 6,
                                                                     seed: 3, settings: settings)))
            }
            learners.append(("mtl", try ConvolutionalMTL(tasks: tasks, architecture: architecture, width: 6, seed: 3,
                                                          settings: MTLSettings(headCorrelation: 0.5, testSolver: .gradientDescent(rate: 1e-3, steps: 1),
                                                                                training: .gradientDescent(rate: 1e-3, steps: 1)))))
            for (method, learner) in learners {
                let theta = learner.parameters
                let v = TrainerFixtures.gaussianVector(theta.count, seed: 21)
                let gradient = try learner.outerGradient(at: nil).gradient
                let difference = try TestNetworks.centralDifference(at: theta, along: v, step: Self.epsilon) {
                    [try learner.outerLoss(at: $0)]
                }[0]
                XCTAssertEqual(TestNetworks.dot(gradient, v), difference, accuracy: 1e-6 * abs(difference), "\(method) \(name)")
            }
            try assertFirstOrderGradientIsTheQueryGradient(tasks, architecture, name)
        }
    }
}

private extension ConvolutionalSecondOrderTests {
    /// FOMAML's meta-gradient is Σ_i ∇L_q(θ_τ,i), recomputed from the public network API at the
    /// adapted parameters (to 1e-12: the same sums in another order).
    func assertFirstOrderGradientIsTheQueryGradient(_ tasks: TaskSet, _ architecture: Architecture, _ name: String) throws {
        let settings = GBMLSettings(method: .maml, innerSolver: .gradientDescent(rate: 0.05, steps: 2),
                                    training: .gradientDescent(rate: 1e-3, steps: 1))
        let learner = try ConvolutionalGBML(tasks: tasks, architecture: architecture, width: 6, seed: 3, settings: settings,
                                            firstOrder: true)
        var expected = [Double](repeating: 0, count: learner.network.parameterCount)
        for (i, task) in tasks.train.enumerated() {
            var adapted = learner.network
            adapted.parameters = try learner.adaptedParameters(trainTask: i)
            let offset = try learner.initialNetwork.outputs(task.queryInputs)
            let query = try adapted.lossGradient(task.queryInputs, targets: task.queryLabels!, offset: offset)
            expected = zip(expected, query.gradient).map { $0 + $1 }
        }
        XCTAssertLessThan(TestNetworks.relativeError(try learner.metaGradient().gradient, expected), 1e-12, "fomaml \(name)")
    }

    /// ½‖A‖²_F, the sum loss of a residual.
    static func halfSquaredNorm(_ a: Matrix) -> Double { 0.5 * a.elements.reduce(0) { $0 + $1 * $1 } }
}
