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

    /// A network of width `width` (units, or channels for a convolutional architecture)
    /// initialised from `seed`, ready to be trained by `method`.
    public func learner(_ method: FiniteMethod, tasks: TaskSet, architecture: Architecture, width: Int,
                        seed: UInt64) throws -> any FiniteLearner {
        architecture.convolution == nil
            ? try learner(FullyConnectedNetwork.self, method, tasks: tasks, architecture: architecture, width: width, seed: seed)
            : try learner(ConvolutionalNetwork.self, method, tasks: tasks, architecture: architecture, width: width, seed: seed)
    }

    private func learner<Network: TrainableNetwork>(_: Network.Type, _ method: FiniteMethod, tasks: TaskSet,
                                                     architecture: Architecture, width: Int,
                                                     seed: UInt64) throws -> any FiniteLearner {
        switch method {
        case .mtl:
            return try FiniteMTLTrainer<Network>(tasks: tasks, architecture: architecture, width: width, seed: seed,
                                                 settings: mtlSettings)
        case .anil, .maml, .fomaml:
            return try FiniteGBMLTrainer<Network>(tasks: tasks, architecture: architecture, width: width, seed: seed,
                                                  settings: gbmlSettings(method), firstOrder: method == .fomaml)
        }
    }

    /// The network of `architecture` (fully connected or convolutional) for the task set's inputs
    /// and labels, at `width` units or channels, drawn from `seed`.
    public static func network(_ architecture: Architecture, tasks: TaskSet, width: Int,
                               seed: UInt64) throws -> any TrainableNetwork {
        architecture.convolution == nil
            ? try FullyConnectedNetwork(architecture: architecture, inputDimension: tasks.inputDimension, width: width,
                                        outputs: tasks.labelWidth, seed: seed)
            : try ConvolutionalNetwork(architecture: architecture, inputDimension: tasks.inputDimension, width: width,
                                       outputs: tasks.labelWidth, seed: seed)
    }

    /// FOMAML's modes of modulus below this fraction of Φ^FO's spectral radius are left out of its
    /// stability bound (`SpectralFactor.stableRateBound(realParts:imaginaryParts:negligible:)`).
    public static let negligibleFirstOrderMode = 1e-6

    /// 2/λ_max of the method's outer kernel at initialisation — Φ̂ for ANIL and MAML (and FOMAML),
    /// Θ̂_MTL for MTL, from the empirical kernels of the network drawn from `seed`: the largest
    /// outer rate with which gradient descent does not diverge on the linearized network.
    public func stableOuterRate(_ method: FiniteMethod, tasks: TaskSet, architecture: Architecture, width: Int,
                                seed: UInt64) throws -> Double {
        let network = try Self.network(architecture, tasks: tasks, width: width, seed: seed)
        let kernels = try network.empiricalTaskKernels(StackedPoints(tasks))
        var flow = self
        flow.training = .gradientFlow(rate: 1, time: 1)   // no rate check: only the matrix is wanted
        if method == .mtl {
            let outer = try TrainedMTL(tasks: tasks, kernels: kernels, settings: flow.mtlSettings).multitaskKernel
            return SpectralFactor.stableRateBound(largestEigenvalue: try SymmetricEigendecomposition(outer, name: "the outer kernel").largestEigenvalue)
        }
        let gbml = try MetaTrainedGBML(tasks: tasks, kernels: kernels, settings: flow.gbmlSettings(method))
        guard method == .fomaml else {
            return SpectralFactor.stableRateBound(largestEigenvalue: try SymmetricEigendecomposition(
                gbml.metaInducedKernel, name: "the outer kernel").largestEigenvalue)
        }
        // FOMAML drops the adaptation's Jacobian from the outer gradient: its linearized residuals
        // follow the non-symmetric Φ^FO, whose complex eigenvalues bound the rate (2a/|λ|²). Its
        // symmetric part is indefinite, so modes with a ≤ 0 exist; those below 1e-6·ρ (measured:
        // a = −1.5e-6 at ρ = 38 on sinusoid tasks) grow e-fold only after > 2·10⁵ steps: ignored.
        let firstOrder = MetaInducedKernel.firstOrderMatrix(ntk: kernels.kernels.ntk, points: kernels.points,
                                                            adaptations: gbml.adaptations)
        let spectrum = try GeneralEigenvalues(firstOrder, name: "FOMAML's first-order outer matrix")
        let bound = SpectralFactor.stableRateBound(realParts: spectrum.real, imaginaryParts: spectrum.imaginary,
                                                  negligible: Self.negligibleFirstOrderMode)
        guard bound > 0 else {
            let radius = spectrum.spectralRadius
            func modulus(_ k: Int) -> Double { (spectrum.real[k] * spectrum.real[k] + spectrum.imaginary[k] * spectrum.imaginary[k]).squareRoot() }
            let k = spectrum.real.indices.filter { spectrum.real[$0] <= 0 }.max { modulus($0) < modulus($1) }!
            throw FiniteTrainingError.noStableOuterRate(method: method.rawValue, realPart: spectrum.real[k],
                                                        imaginaryPart: spectrum.imaginary[k], spectralRadius: radius)
        }
        return bound
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

extension FiniteSettings {
    /// The work of one outer step of `method` on `tasks`, counted in forward-and-backward passes
    /// of single points (one pass through a dense layer of P weights costs 6·P FLOPs: 2·P forward,
    /// 4·P backward): MTL one pass of each task's training points; ANIL one pass of the body on
    /// every support and query point (its inner loop moves the head alone); FOMAML τ passes of
    /// each support set and one of each query set; MAML those plus τ Hessian-vector products on
    /// each support set, 16·P FLOPs per point (forward, two tangent products, two weight
    /// gradients and three pull-backs), i.e. 8/3 of a pass. Nil for an inner loop that is not
    /// gradient descent (the finite trainers need one).
    public func pointPassesPerStep(_ method: FiniteMethod, tasks: TaskSet) -> Double? {
        var tau = 0.0
        if case let .gradientDescent(_, steps) = innerSolver { tau = Double(steps) } else if method != .mtl { return nil }
        return tasks.train.reduce(0.0) { total, task in
            let (support, query) = (Double(task.supportCount), Double(task.queryCount))
            switch method {
            case .mtl: return total + (mtlData == .query ? query : query + support)
            case .anil: return total + support + query
            case .fomaml: return total + tau * support + query
            case .maml: return total + tau * support + query + 8 * tau * support / 3
            }
        }
    }
}

extension FullyConnectedNetwork {
    /// Σ_l fan_in·fan_out, the weights whose products dominate a pass (6 FLOPs each per point).
    public var weightCount: Int { layers.reduce(0) { $0 + $1.fanIn * $1.fanOut } }
}

extension ConvolutionalNetwork {
    /// The multiply-adds of one image's forward pass, Σ_l H·W·(Kh·Kw·C_{l−1})·c + F·k: the
    /// counterpart of a dense network's weight count in the pass model (6 FLOPs each per image;
    /// every filter weight is used once per pixel).
    public var weightCount: Int {
        hiddenLayers.reduce(0) { $0 + convolution.pixels * $1.weightCount } + readout.fanIn * readout.fanOut
    }
}
