import FewShot
import FiniteWidth
import InfiniteWidth
import LinearAlgebra
import Paradigms
import XCTest

/// The exact meta-gradient of theory.md §7 (g_τ = ∇L_q(θ_τ), g_k = g_{k+1} − λ·H_k·P·g_{k+1})
/// against central differences of the outer loss as a function of the initial parameters θ,
/// inner loop included; FOMAML against the query gradient at θ_τ.
///
/// Set-up: width 16, depth 1 and 2, tanh, erf and ReLU, k = 1 and 2 outputs, 3 training tasks
/// of 3 support and 4 query points, τ = 3 inner steps at λ = 0.8/max_i λ_max(κ̂(X'_i, X'_i)),
/// so the inner loop moves the outputs by O(1) and every H_k term matters.
///
/// Tolerance: the fourth-order central difference at ε = 1e-5 has truncation ε⁴/30·|L⁽⁵⁾|
/// (negligible) and round-off ≈ 1.5·ε_mach·|L|/ε ≈ 2e-11·|L|, ~1e-10 of the directional
/// derivative; 1e-6 leaves four orders for ill-conditioned directions. A missing H_k term, a
/// wrong projection P or an off-by-one in the recursion is an O(1e-2–1) error (the FOMAML
/// gradient, which drops all H_k, differs by > 5%). ReLU's loss is piecewise smooth; the
/// seeds are fixed and no kink lies within 2ε of the evaluation points.
final class MetaGradientTests: XCTestCase {
    static let epsilon = 1e-5
    static let configurations: [(Activation, Int, Int)] = [
        (.tanh, 1, 1), (.tanh, 2, 2), (.erf, 2, 1), (.relu, 1, 2), (.relu, 2, 1),
    ]

    func testMAMLMetaGradientMatchesDifferencesOfTheOuterLoss() throws {
        try assertMetaGradientMatchesDifferences(.maml)
    }

    func testANILMetaGradientMatchesDifferencesOfTheOuterLoss() throws {
        try assertMetaGradientMatchesDifferences(.anil)
    }

    /// FOMAML's gradient is Σ_i ∇L_q(θ_τ,i), recomputed here from the public network API at the
    /// adapted parameters (to 1e-12: the same sums in another order), and differs from the
    /// exact meta-gradient (by > 5%: measured 20–60% at λ·s_max = 0.8, τ = 3).
    func testFirstOrderMetaGradientIsTheQueryGradientAtTheAdaptedParameters() throws {
        for method in GBMLMethod.allCases {
            for (activation, depth, k) in Self.configurations {
                let (learner, tasks) = try Self.learner(method, activation, depth: depth, outputs: k, firstOrder: true)
                let exact = try Self.learner(method, activation, depth: depth, outputs: k).learner.metaGradient().gradient
                var expected = [Double](repeating: 0, count: learner.network.parameterCount)
                for (i, task) in tasks.train.enumerated() {
                    let adapted = try FullyConnectedNetwork(
                        architecture: learner.network.architecture, inputDimension: tasks.inputDimension, width: 16,
                        outputs: k, parameters: learner.adaptedParameters(trainTask: i))
                    let offset = try learner.initialNetwork.outputs(task.queryInputs)
                    let query = try adapted.lossGradient(task.queryInputs, targets: task.queryLabels!, offset: offset)
                    expected = zip(expected, query.gradient).map { $0 + $1 }
                }
                let firstOrder = try learner.metaGradient().gradient
                let name = "\(method) \(activation) L=\(depth) k=\(k)"
                XCTAssertLessThan(TestNetworks.relativeError(firstOrder, expected), 1e-12, name)
                let gap = TestNetworks.relativeError(firstOrder, exact)
                print("FiniteWidth: first-order vs exact meta-gradient, \(name): relative difference \(gap)")
                XCTAssertGreaterThan(gap, 0.05, name)
            }
        }
    }

    /// The inner loop is τ gradient-descent steps of rate λ on ½‖f_θ(X') − f_θ₀(X') − Y'‖²
    /// (all parameters for MAML, the head alone for ANIL), and the outer loss is
    /// Σ_i ½‖f_θτ(X_i) − f_θ₀(X_i) − Y_i‖², both recomputed here with `lossGradient` and
    /// `loss` (to 1e-12: the same operations). A wrong rate, step count, centering or
    /// projection is an O(1) error.
    func testInnerLoopIsGradientDescentOnTheCenteredSupportLoss() throws {
        for method in GBMLMethod.allCases {
            let (learner, tasks) = try Self.learner(method, .tanh, depth: 2, outputs: 2)
            let (rate, steps) = (learner.innerSchedule.rate, learner.innerSchedule.steps)
            let initial = learner.initialNetwork
            var expectedLoss = 0.0
            for (i, task) in tasks.train.enumerated() {
                var network = learner.network
                let offset = try initial.outputs(task.supportInputs)
                for _ in 0..<steps {
                    let gradient = try network.lossGradient(task.supportInputs, targets: task.supportLabels, offset: offset)
                    let adapted = method == .maml ? network.parameterCount : network.headParameters.lowerBound
                    for j in network.parameters.indices where method == .maml || j >= adapted {
                        network.parameters[j] -= rate * gradient.gradient[j]
                    }
                }
                let adapted = try learner.adaptedParameters(trainTask: i)
                XCTAssertLessThan(TestNetworks.relativeError(adapted, network.parameters), 1e-12, "\(method) task \(i)")
                if method == .anil {
                    let body = network.bodyParameters
                    XCTAssertEqual(Array(adapted[body]), Array(learner.network.parameters[body]), "ANIL keeps the body")
                }
                expectedLoss += try network.loss(task.queryInputs, targets: task.queryLabels!,
                                                 offset: initial.outputs(task.queryInputs))
            }
            XCTAssertLessThan(TrainerFixtures.relativeError(try learner.outerLoss(), expectedLoss), 1e-12, "\(method)")
        }
    }

    /// One outer step is θ ← θ − η·g_0 and returns the outer loss before it.
    func testStepMovesAgainstTheMetaGradient() throws {
        for method in GBMLMethod.allCases {
            var (learner, _) = try Self.learner(method, .erf, depth: 2, outputs: 1)
            let (before, gradient) = (learner.parameters, try learner.metaGradient())
            let loss = try learner.step()
            let expected = zip(before, gradient.gradient).map { $0 - learner.schedule.rate * $1 }
            XCTAssertEqual(loss, gradient.loss)
            XCTAssertLessThan(TestNetworks.relativeError(learner.parameters, expected), 1e-15, "\(method)")
            XCTAssertEqual(learner.stepsTaken, 1)
        }
    }

    private func assertMetaGradientMatchesDifferences(_ method: GBMLMethod) throws {
        var worst = 0.0
        for (activation, depth, k) in Self.configurations {
            let (learner, _) = try Self.learner(method, activation, depth: depth, outputs: k)
            let gradient = try learner.metaGradient().gradient
            for direction in 0..<3 {
                let v = TestNetworks.direction(for: learner.network, seed: 100 + UInt64(direction))
                let difference = try TestNetworks.centralDifference(at: learner.parameters, along: v, step: Self.epsilon) {
                    [try learner.outerLoss(at: $0)]
                }[0]
                let error = TrainerFixtures.relativeError(TestNetworks.dot(gradient, v), difference)
                worst = max(worst, error)
                XCTAssertLessThan(error, 1e-6, "\(method) \(activation) L=\(depth) k=\(k) direction \(direction)")
            }
        }
        print("FiniteWidth: worst relative error of the \(method) meta-gradient vs central differences: \(worst)")
    }

    /// A width-16 learner whose inner rate is 0.8/max_i λ_max(κ̂(X'_i, X'_i)), τ = 3.
    static func learner(_ method: GBMLMethod, _ activation: Activation, depth: Int, outputs: Int,
                        firstOrder: Bool = false) throws -> (learner: FiniteGBML, tasks: TaskSet) {
        let tasks = try TrainerFixtures.tasks(outputs: outputs)
        let architecture = try TrainerFixtures.architecture(activation, depth: depth)
        let largest = try TrainerFixtures.largestSupportEigenvalue(tasks, architecture, width: 16, seed: 3, method: method)
        let settings = GBMLSettings(method: method, innerSolver: .gradientDescent(rate: 0.8 / largest, steps: 3),
                                    training: .gradientDescent(rate: 1e-3, steps: 1))
        let learner = try FiniteGBML(tasks: tasks, architecture: architecture, width: 16, seed: 3, settings: settings,
                                     firstOrder: firstOrder)
        return (learner, tasks)
    }
}
