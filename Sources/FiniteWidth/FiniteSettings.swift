import FewShot
import InfiniteWidth
import LinearAlgebra
import Paradigms

/// The methods a finite network can be trained by (theory.md §7).
public enum FiniteMethod: String, Sendable, CaseIterable {
    case mtl, anil, maml, fomaml

    /// First-order MAML has no kernel limit in theory.md (its outer update is not a gradient).
    public var hasKernelLimit: Bool { self != .fomaml }
}

/// One description of a finite-width run's hyperparameters — discrete inner loop (λ, τ),
/// test-time adaptation (λ̂, τ̂), S outer steps of rate η, and the MTL options — from which both
/// the trained learner and its infinite-width predictor are built, so the two always share them.
public struct FiniteSettings: Sendable {
    public var innerSolver: InnerSolver
    public var testSolver: InnerSolver
    public var training: TrainingTime
    public var mtlData: MTLSettings.TrainingData
    public var headCorrelation: Double
    public var newHead: MTLSettings.NewHead

    public init(innerSolver: InnerSolver, testSolver: InnerSolver? = nil, training: TrainingTime,
                mtlData: MTLSettings.TrainingData = .query, headCorrelation: Double = 1,
                newHead: MTLSettings.NewHead = .initialization) {
        self.innerSolver = innerSolver
        self.testSolver = testSolver ?? innerSolver
        self.training = training
        self.mtlData = mtlData
        self.headCorrelation = headCorrelation
        self.newHead = newHead
    }

    public var mtlSettings: MTLSettings {
        MTLSettings(data: mtlData, headCorrelation: headCorrelation, newHead: newHead, testSolver: testSolver,
                    training: training)
    }

    /// The GBML settings of a GBML method (FOMAML: MAML's).
    public func gbmlSettings(_ method: FiniteMethod) -> GBMLSettings {
        GBMLSettings(method: method == .anil ? .anil : .maml, innerSolver: innerSolver, testSolver: testSolver,
                     training: training)
    }

    /// A network of width `width` initialised from `seed`, ready to be trained by `method`.
    public func learner(_ method: FiniteMethod, tasks: TaskSet, architecture: Architecture, width: Int,
                        seed: UInt64) throws -> any FiniteLearner {
        switch method {
        case .mtl:
            return try FiniteMTL(tasks: tasks, architecture: architecture, width: width, seed: seed, settings: mtlSettings)
        case .anil, .maml, .fomaml:
            return try FiniteGBML(tasks: tasks, architecture: architecture, width: width, seed: seed,
                                  settings: gbmlSettings(method), firstOrder: method == .fomaml)
        }
    }

    /// 2/λ_max of the method's outer kernel at initialisation — Φ̂ for ANIL and MAML (and FOMAML),
    /// Θ̂_MTL for MTL, from the empirical kernels of the network drawn from `seed`: the largest
    /// outer rate with which gradient descent does not diverge on the linearized network.
    public func stableOuterRate(_ method: FiniteMethod, tasks: TaskSet, architecture: Architecture, width: Int,
                                seed: UInt64) throws -> Double {
        let network = try FullyConnectedNetwork(architecture: architecture, inputDimension: tasks.inputDimension,
                                                width: width, outputs: tasks.labelWidth, seed: seed)
        let kernels = try network.empiricalTaskKernels(StackedPoints(tasks))
        var flow = self
        flow.training = .gradientFlow(rate: 1, time: 1)   // no rate check: only the matrix is wanted
        let outer = method == .mtl
            ? try TrainedMTL(tasks: tasks, kernels: kernels, settings: flow.mtlSettings).multitaskKernel
            : try MetaTrainedGBML(tasks: tasks, kernels: kernels, settings: flow.gbmlSettings(method)).metaInducedKernel
        return SpectralFactor.stableRateBound(largestEigenvalue: try SymmetricEigendecomposition(outer, name: "the outer kernel").largestEigenvalue)
    }

    /// The same settings with outer rate η (and the same number of steps).
    public func withOuterRate(_ rate: Double) -> FiniteSettings {
        var result = self
        if case let .gradientDescent(_, steps) = training { result.training = .gradientDescent(rate: rate, steps: steps) }
        return result
    }

    /// The infinite-width predictions with the same discrete hyperparameters, on the analytic
    /// kernels of the task set; nil for FOMAML.
    public func kernelPredictions(_ method: FiniteMethod, tasks: TaskSet, kernels: TaskKernels) throws -> [Matrix]? {
        switch method {
        case .mtl: return try TrainedMTL(tasks: tasks, kernels: kernels, settings: mtlSettings).predictions()
        case .anil, .maml: return try MetaTrainedGBML(tasks: tasks, kernels: kernels, settings: gbmlSettings(method)).predictions()
        case .fomaml: return nil
        }
    }
}
