import FewShot
import InfiniteWidth
import LinearAlgebra
import Paradigms

/// How the meta-training inner loop is stretched to a given length λτ in a closeness sweep.
public enum InnerLoopLength: Sendable, Equatable {
    /// Gradient flow at a fixed rate λ for time τ = λτ/λ.
    case continuous(rate: Double)
    /// A fixed number of steps τ at rate λ = λτ/τ.
    case discrete(steps: Int)

    /// The inner solver whose λτ is `lambdaTau`.
    public func solver(lambdaTau: Double) -> InnerSolver {
        switch self {
        case let .continuous(rate): return .gradientFlow(rate: rate, time: lambdaTau / rate)
        case let .discrete(steps): return .gradientDescent(rate: lambdaTau / Double(steps), steps: steps)
        }
    }
}

/// The settings of a closeness sweep over depth L and inner-loop length λτ (theory.md §6).
public struct ClosenessSweepSettings: Sendable {
    /// The network; its depth is ignored (the sweep uses `depths`).
    public var architecture: Architecture
    public var quadrature: QuadratureRule
    public var depths: [Int]
    /// The λτ values of the meta-training inner loop.
    public var innerTimes: [Double]
    public var innerLoop: InnerLoopLength
    /// The test-time adaptation (GBML's T̂, MTL's head fine-tuning); nil: the training inner loop
    /// at each λτ.
    public var testSolver: InnerSolver?
    public var training: TrainingTime
    public var diagonalRegularization: Double
    /// The MTL head correlations ρ to compare (each against every GBML method).
    public var headCorrelations: [Double]
    public var mtlData: MTLSettings.TrainingData
    public var newHead: MTLSettings.NewHead
    public var methods: [GBMLMethod]

    public init(architecture: Architecture, quadrature: QuadratureRule = .trapezoid, depths: [Int], innerTimes: [Double],
                innerLoop: InnerLoopLength = .continuous(rate: 1), testSolver: InnerSolver? = nil,
                training: TrainingTime = .converged, diagonalRegularization: Double = 0, headCorrelations: [Double] = [1],
                mtlData: MTLSettings.TrainingData = .query, newHead: MTLSettings.NewHead = .initialization,
                methods: [GBMLMethod] = [.anil, .maml]) {
        self.architecture = architecture
        self.quadrature = quadrature
        self.depths = depths
        self.innerTimes = innerTimes
        self.innerLoop = innerLoop
        self.testSolver = testSolver
        self.training = training
        self.diagonalRegularization = diagonalRegularization
        self.headCorrelations = headCorrelations
        self.mtlData = mtlData
        self.newHead = newHead
        self.methods = methods
    }
}

/// One measurement of a sweep: MTL (head correlation ρ) against one GBML method, at one depth
/// and inner-loop length, on one seed's task set.
public struct ClosenessRecord: Sendable, Equatable {
    public let seed: UInt64
    public let depth: Int
    public let innerTime: Double
    public let headCorrelation: Double
    public let method: GBMLMethod
    /// ‖F_MTL − F_GBML‖ over the test tasks.
    public let relative: DistanceSummary
    public let rms: DistanceSummary
    /// K/Θ on the diagonal, averaged over the points (theory.md §1: 1/(L+1) for critical ReLU).
    public let headShare: Double
    /// cond Θ(𝒳, 𝒳) on the training queries (theory.md §6: the rate constants grow with it).
    public let ntkCondition: Double
    /// The mean over training tasks of the largest eigenvalue of the method's support kernel
    /// κ(X'_i, X'_i): λτ·supportScale is the inner loop's dimensionless length (theory.md §6:
    /// λτ has units; for MAML κ = Θ grows with depth).
    public let supportScale: Double
    /// Why no distance was measured (a system singular to working precision), or nil.
    public let failure: String?

    public init(seed: UInt64, depth: Int, innerTime: Double, headCorrelation: Double, method: GBMLMethod,
                relative: DistanceSummary, rms: DistanceSummary, headShare: Double, ntkCondition: Double,
                supportScale: Double, failure: String? = nil) {
        self.seed = seed
        self.depth = depth
        self.innerTime = innerTime
        self.headCorrelation = headCorrelation
        self.method = method
        self.relative = relative
        self.rms = rms
        self.headShare = headShare
        self.ntkCondition = ntkCondition
        self.supportScale = supportScale
        self.failure = failure
    }
}

/// The closeness of MTL and GBML across depths and inner-loop lengths on one task set: every
/// kernel from one pass through the layers, each support kernel's eigendecomposition shared by
/// all inner times, MTL trained once per depth and ρ.
public enum ClosenessSweep {
    /// The records of one seed's task set, depth by depth; `progress` is told after each depth.
    /// A training system that is singular to working precision (deep kernels in the ordered
    /// phase, for example) does not stop the sweep: its records carry the failure, worded by
    /// `describeFailure` (the caller's names for the hyperparameters), and no distance.
    public static func run(tasks: TaskSet, seed: UInt64, settings: ClosenessSweepSettings,
                           describeFailure: (Error) -> String = { "\($0)" },
                           progress: (Int) -> Void = { _ in }) throws -> [ClosenessRecord] {
        let sweep = try TaskKernels.depthSweep(tasks: tasks, architecture: settings.architecture, depths: settings.depths,
                                               quadrature: settings.quadrature)
        var records: [ClosenessRecord] = []
        for kernels in sweep {
            records += try measure(tasks: tasks, seed: seed, kernels: kernels, settings: settings, describeFailure: describeFailure)
            progress(kernels.kernels.depth)
        }
        return records
    }

    private static func measure(tasks: TaskSet, seed: UInt64, kernels: TaskKernels, settings: ClosenessSweepSettings,
                                describeFailure: (Error) -> String) throws -> [ClosenessRecord] {
        let depth = kernels.kernels.depth
        let headShare = kernels.kernels.headShare
        let ntkCondition = try SymmetricEigendecomposition(kernels.trainingQueryNTK, name: "Θ(𝒳, 𝒳)").conditionNumber
        // κ = K for MTL's head fine-tuning and ANIL: one set of spectra serves both.
        let headSpectra = try SupportSpectra.head(kernels)
        let gbmlSpectra = try Dictionary(uniqueKeysWithValues: settings.methods.map {
            ($0, $0 == .anil ? headSpectra : try SupportSpectra(kernels: kernels, method: $0))
        })
        let mtls = settings.headCorrelations.map { rho in
            Result { try TrainedMTL(tasks: tasks, kernels: kernels,
                                    settings: MTLSettings(data: settings.mtlData, headCorrelation: rho, newHead: settings.newHead,
                                                          testSolver: .exact, training: settings.training,
                                                          diagonalRegularization: settings.diagonalRegularization)) }
        }
        func record(_ lambdaTau: Double, _ rho: Double, _ method: GBMLMethod, _ closeness: Result<Closeness, Error>) -> ClosenessRecord {
            let undefined = DistanceSummary(Array(repeating: nil, count: tasks.test.count))
            let largest = gbmlSpectra[method]!.train.map(\.eigen.largestEigenvalue)
            let scale = largest.reduce(0, +) / Double(largest.count)
            switch closeness {
            case let .success(c):
                return ClosenessRecord(seed: seed, depth: depth, innerTime: lambdaTau, headCorrelation: rho, method: method,
                                       relative: c.relative, rms: c.rms, headShare: headShare, ntkCondition: ntkCondition,
                                       supportScale: scale)
            case let .failure(error):
                return ClosenessRecord(seed: seed, depth: depth, innerTime: lambdaTau, headCorrelation: rho, method: method,
                                       relative: undefined, rms: undefined, headShare: headShare, ntkCondition: ntkCondition,
                                       supportScale: scale, failure: describeFailure(error))
            }
        }
        var records: [ClosenessRecord] = []
        for lambdaTau in settings.innerTimes {
            let inner = settings.innerLoop.solver(lambdaTau: lambdaTau)
            let test = settings.testSolver ?? inner
            let mtlPredictions = mtls.map { trained in
                Result { try trained.get().predictions(testSolver: test, headSpectra: headSpectra) }
            }
            for method in settings.methods {
                let reference = Result {
                    try MetaTrainedGBML(tasks: tasks, kernels: kernels,
                                        settings: GBMLSettings(method: method, innerSolver: inner, testSolver: test,
                                                               training: settings.training,
                                                               diagonalRegularization: settings.diagonalRegularization),
                                        spectra: gbmlSpectra[method]).predictions()
                }
                for (rho, predictions) in zip(settings.headCorrelations, mtlPredictions) {
                    let closeness = Result { Closeness(try predictions.get(), from: try reference.get()) }
                    if case let .failure(error) = closeness, !(error is LinearAlgebraError || error is SingularOuterSystemError) { throw error }
                    records.append(record(lambdaTau, rho, method, closeness))
                }
            }
        }
        return records
    }
}
