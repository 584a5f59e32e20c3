import FewShot
import FiniteWidth
import InfiniteWidth
import LinearAlgebra
import Paradigms
import XCTest

/// The finite MTL trainer of theory.md §5, §7: its step is a gradient step of the MTL loss, its
/// heads start with correlation ρ, and its outputs are centered.
final class MultiTaskTrainerTests: XCTestCase {
    /// One step moves (θ, w_1 … w_N) by −η·∇L with ∇L the gradient of
    /// Σ_i ½‖w_i(H_θ(D_i)) − w_i⁰(H_θ₀(D_i)) − Y_{D_i}‖²: (before − after)/η, projected on random
    /// directions v, equals the fourth-order central difference of the loss along v (ε = 1e-5).
    /// Tolerance 1e-6 as in `MetaGradientTests` (round-off ~1e-10); a head's gradient sent to
    /// another head, a body gradient missing a task, or an uncentered residual is O(1e-1–1).
    func testOneStepIsAGradientStepOfTheMTLLoss() throws {
        var worst = 0.0
        for (activation, data, rho) in [(Activation.tanh, MTLSettings.TrainingData.query, 0.5),
                                        (.relu, .merged, 1.0), (.erf, .query, 0.0)] {
            var learner = try Self.learner(activation, data: data, headCorrelation: rho)
            let before = learner.parameters
            let lossBefore = try learner.outerLoss()
            XCTAssertEqual(try learner.step(), lossBefore, "step() returns the loss before the step")
            let rate = learner.schedule.rate
            let step = zip(before, learner.parameters).map { ($0 - $1) / rate }
            for direction in 0..<3 {
                let v = TrainerFixtures.gaussianVector(before.count, seed: 200 + UInt64(direction))
                let difference = try TestNetworks.centralDifference(at: before, along: v, step: 1e-5) {
                    [try learner.outerLoss(at: $0)]
                }[0]
                let error = TrainerFixtures.relativeError(TestNetworks.dot(step, v), difference)
                worst = max(worst, error)
                XCTAssertLessThan(error, 1e-6, "\(activation) \(data) ρ=\(rho) direction \(direction)")
            }
        }
        print("FiniteWidth: worst relative error of an MTL step vs central differences of the loss: \(worst)")
    }

    /// ρ = 1: every head (training and new) is the network's own initial readout c, bit for bit.
    func testFullyCorrelatedHeadsStartEqual() throws {
        let learner = try Self.learner(.relu, headCorrelation: 1)
        let c = Array(learner.initialNetwork.parameters[learner.initialNetwork.headParameters])
        for head in learner.initialHeads { XCTAssertEqual(head, c) }
        XCTAssertEqual(learner.newHeadStart(testTask: 1).start, c)
    }

    /// Heads √ρ·c + √(1−ρ)·e_i at width 4096 (P = 4097 head entries): the sample correlation of
    /// two heads' entries is ρ ± (1−ρ²)/√P, so |corr − ρ| < 4·(1−ρ²)/√P + 1e-12 for every pair of the 4
    /// training heads and 2 new heads (a 4σ band, fixed seeds). Wrong mixing weights
    /// (ρ and 1−ρ instead of √ρ, √(1−ρ)) give corr ≈ ρ²/(ρ² + (1−ρ)²), off by ≥ 0.06 at ρ = 0.3,
    /// and shared streams give corr = 1.
    func testHeadsStartWithCorrelationRho() throws {
        for rho in [0.0, 0.3, 0.8] {
            let tasks = try TrainerFixtures.tasks(train: 4, test: 2)
            let learner = try Self.learner(.relu, tasks: tasks, depth: 1, width: 4096, headCorrelation: rho)
            let heads = learner.initialHeads + (0..<2).map { learner.newHeadStart(testTask: $0).start }
            let band = 4 * (1 - rho * rho) / Double(heads[0].count).squareRoot() + 1e-12
            var worst = 0.0
            for a in heads.indices {
                for b in heads.indices where b > a {
                    let correlation = Self.correlation(heads[a], heads[b])
                    worst = max(worst, abs(correlation - rho))
                    XCTAssertLessThan(abs(correlation - rho), band, "ρ = \(rho), heads \(a), \(b)")
                }
            }
            print("FiniteWidth: ρ = \(rho): worst |sample correlation − ρ| of the heads at width 4096: \(worst)")
        }
    }

    /// Centered outputs start at zero: at initialisation the loss is Σ_i ½‖Y_{D_i}‖² and the
    /// test predictions without fine-tuning (τ̂ = 0) are exactly 0 for both new-head starts (the
    /// new head equals its reference at init: a new draw, or the mean of the initial heads).
    func testCenteredOutputsStartAtZero() throws {
        let tasks = try TrainerFixtures.tasks()
        for data in MTLSettings.TrainingData.allCases {
            let learner = try Self.learner(.tanh, tasks: tasks, data: data, headCorrelation: 0.5)
            let labels = tasks.train.map { data == .query ? [$0.queryLabels!] : [$0.queryLabels!, $0.supportLabels] }
            let expected = labels.joined().reduce(0) { $0 + 0.5 * $1.frobeniusNorm * $1.frobeniusNorm }
            XCTAssertLessThan(TrainerFixtures.relativeError(try learner.outerLoss(), expected), 1e-13, "\(data)")
        }
        for newHead in MTLSettings.NewHead.allCases {
            let learner = try Self.learner(.tanh, tasks: tasks, headCorrelation: 0.5, newHead: newHead, testSteps: 0)
            for prediction in try learner.predictions() { XCTAssertEqual(prediction.maxAbs, 0, "\(newHead)") }
        }
    }

    static func correlation(_ a: [Double], _ b: [Double]) -> Double {
        let (ma, mb) = (a.reduce(0, +) / Double(a.count), b.reduce(0, +) / Double(b.count))
        let (ca, cb) = (a.map { $0 - ma }, b.map { $0 - mb })
        return TestNetworks.dot(ca, cb) / (TestNetworks.norm(ca) * TestNetworks.norm(cb))
    }

    /// A width-16 (by default) MTL learner with small rates (well inside the guards).
    static func learner(_ activation: Activation, tasks: TaskSet? = nil, depth: Int = 2, width: Int = 16,
                        data: MTLSettings.TrainingData = .query, headCorrelation: Double,
                        newHead: MTLSettings.NewHead = .initialization, testSteps: Int = 2) throws -> FiniteMTL {
        let settings = MTLSettings(data: data, headCorrelation: headCorrelation, newHead: newHead,
                                   testSolver: .gradientDescent(rate: 0.05, steps: testSteps),
                                   training: .gradientDescent(rate: 0.02, steps: 5))
        return try FiniteMTL(tasks: tasks ?? TrainerFixtures.tasks(outputs: 2),
                             architecture: TrainerFixtures.architecture(activation, depth: depth), width: width, seed: 9,
                             settings: settings)
    }
}
