import FewShot
import InfiniteWidth
import LinearAlgebra
import Paradigms

/// Gradient-based meta-learning at finite width (theory.md §4, §7): ANIL, MAML and their
/// first-order variants (FOMAML). With centered outputs f_c(θ)(x) = f_θ(x) − f_θ₀(x), each
/// training task's inner loop takes τ gradient-descent steps of rate λ on its support loss
///
///     L_s(θ) = ½‖f_c(θ)(X') − Y'‖²,   θ_{k+1} = θ_k − λ·P·∇L_s(θ_k),   θ_0 = θ,
///
/// over the head alone (ANIL: P projects onto the head) or all parameters (MAML: P = I); the
/// meta-output is F_i = f_c(θ_τ)(X_i) and one outer step is θ ← θ − η·∇_θ Σ_i ½‖F_i − Y_i‖²
/// with the exact meta-gradient through the inner loop (`metaGradient`). A test task adapts
/// the same way with τ̂ steps of rate λ̂ (`predictions()`).
///
/// Its infinite-width limit is `MetaTrainedGBML` with the same settings: innerSolver
/// `.gradientDescent(λ, τ)`, testSolver `.gradientDescent(λ̂, τ̂)`, training
/// `.gradientDescent(η, S)`. First-order variants have no kernel limit in Paradigms.
///
/// Generic over the network (`FiniteGBML`: fully connected; `ConvolutionalGBML`: convolutional).
public struct FiniteGBMLTrainer<Network: TrainableNetwork>: FiniteLearner {
    public let tasks: TaskSet
    /// The method (ANIL or MAML), the solvers and the outer schedule.
    public let settings: GBMLSettings
    /// True for the first-order variant (FOMAML for MAML): the meta-gradient drops every
    /// H_k term and is the query gradient at the adapted parameters, g_0 = ∇L_q(θ_τ).
    public let firstOrder: Bool
    /// η and S.
    public let schedule: GradientDescentSchedule
    /// λ and τ of the meta-training inner loop.
    public let innerSchedule: GradientDescentSchedule
    /// λ̂ and τ̂ of the test-time adaptation.
    public let testSchedule: GradientDescentSchedule
    /// θ₀ (the centering).
    public let initialNetwork: Network
    /// θ, the meta-trained network.
    public private(set) var network: Network
    /// `MetaTrainedGBML` on the empirical kernels at initialisation (the network's
    /// linearization, exactly so for one output). Before it is built, λ and λ̂ are checked
    /// directly against λ_max of each training and test support kernel (K̂ for ANIL, Θ̂ for
    /// MAML; `checkStability`); building it refuses a divergent η (against λ_max(Φ̂);
    /// first-order variants are held to the bound of their exact method).
    public let initialKernelPredictor: MetaTrainedGBML
    public private(set) var stepsTaken = 0
    let points: StackedPoints
    /// The training tasks with their centering f_θ₀ on support and query points.
    let trainTasks: [CenteredTask]
    let testTasks: [CenteredTask]
    /// 𝒳̄ = [X̄_1; …; X̄_N] (rows as in `points`), for ANIL's batched body passes.
    let trainingInputs: Matrix
    /// Parameter-sized buffers reused by the inner loops of every step.
    let scratch: ParameterScratch

    public init(tasks: TaskSet, architecture: Architecture, width: Int, seed: UInt64, settings: GBMLSettings,
                firstOrder: Bool = false) throws {
        guard settings.diagonalRegularization == 0 else {
            throw FiniteTrainingError.diagonalRegularization(settings.diagonalRegularization)
        }
        schedule = try GradientDescentSchedule(settings.training)
        innerSchedule = try GradientDescentSchedule(settings.innerSolver)
        testSchedule = try GradientDescentSchedule(settings.testSolver, testTime: true)
        let network = try Network(architecture: architecture, inputDimension: tasks.inputDimension,
                                  width: width, outputs: tasks.labelWidth, seed: seed)
        let points = StackedPoints(tasks)
        self.points = points
        let kernels = try network.empiricalTaskKernels(points)
        let spectra = try SupportSpectra(kernels: kernels, method: settings.method)
        try Self.checkStability(innerSchedule, spectra.train, parameter: .innerRate)
        try Self.checkStability(testSchedule, spectra.test, parameter: .testInnerRate)
        initialKernelPredictor = try MetaTrainedGBML(tasks: tasks, kernels: kernels, settings: settings, spectra: spectra)
        let offsets = try network.outputs(points.inputs, offset: nil)
        trainTasks = tasks.train.indices.map { i in
            CenteredTask(tasks.train[i], offsets: offsets, support: points.trainSupport[i], query: points.trainQuery[i])
        }
        testTasks = tasks.test.indices.map { j in
            CenteredTask(tasks.test[j], offsets: offsets, support: points.testSupport[j], query: points.testQuery[j])
        }
        trainingInputs = points.inputs.rows(points.trainingPoints)
        scratch = ParameterScratch(count: network.parameterCount)
        (self.tasks, self.settings, self.firstOrder) = (tasks, settings, firstOrder)
        (self.network, initialNetwork) = (network, network)
    }

    public var parameters: [Double] { network.parameters }
    public var scheduledSteps: Int { schedule.steps }

    /// The outer loss Σ_i ½‖F_i − Y_i‖² and its meta-gradient g_0 at θ = `parameters` (nil: the
    /// current ones), the inner loops included.
    public func metaGradient(at parameters: [Double]? = nil) throws -> LossGradient {
        let (loss, gradient) = try outer(network.replacingParameters(parameters), wantsGradient: true)
        return LossGradient(loss: loss, gradient: gradient!)
    }

    public func outerGradient(at parameters: [Double]? = nil) throws -> LossGradient {
        try metaGradient(at: parameters)
    }

    public func outerLoss(at parameters: [Double]? = nil) throws -> Double {
        try outer(network.replacingParameters(parameters), wantsGradient: false).loss
    }

    /// θ_τ of training task i, adapted from θ = `parameters` (nil: the current ones).
    public func adaptedParameters(trainTask i: Int, at parameters: [Double]? = nil) throws -> [Double] {
        let network = try network.replacingParameters(parameters)
        switch settings.method {
        case .anil:
            let features = try network.features(trainTasks[i].support)
            let head = adaptHead(network, features: features, task: trainTasks[i], schedule: innerSchedule).adapted
            return Array(network.parameters[network.bodyParameters]) + head
        case .maml:
            return try withAdaptedParameters(trainTasks[i], from: network, schedule: innerSchedule) { p in
                Array(UnsafeBufferPointer(start: p, count: network.parameterCount))
            }
        }
    }

    public mutating func step() throws -> Double {
        let gradient = try metaGradient()
        ParameterArithmetic.move(&network, -schedule.rate, along: gradient.gradient)
        stepsTaken += 1
        return gradient.loss
    }

    /// Refuses a rate λ with λ·s_max > 2 on any of the support kernels (κ̂(X', X') of each task,
    /// K̂ for ANIL, Θ̂ for MAML): gradient descent on the linearized loss diverges there. The
    /// bound is checked on the eigenvalues directly, with the same typed error as the kernel
    /// predictor's (`AdaptationError.divergentRate`, naming the parameter and the bound).
    static func checkStability(_ schedule: GradientDescentSchedule, _ spectra: [SupportSpectrum],
                               parameter: Hyperparameter) throws {
        for spectrum in spectra {
            let largest = spectrum.eigen.largestEigenvalue
            guard schedule.rate * largest <= 2 else {
                throw AdaptationError.divergentRate(parameter: parameter, rate: schedule.rate, matrix: spectrum.name,
                                                    largestEigenvalue: largest)
            }
        }
    }

    private func outer(_ network: Network, wantsGradient: Bool) throws
        -> (loss: Double, gradient: [Double]?) {
        switch settings.method {
        case .anil: return try anilOuter(network, wantsGradient: wantsGradient)
        case .maml: return try mamlOuter(network, wantsGradient: wantsGradient)
        }
    }
}

/// ANIL, MAML and FOMAML on a fully connected network.
public typealias FiniteGBML = FiniteGBMLTrainer<FullyConnectedNetwork>
/// ANIL, MAML and FOMAML on a convolutional network (`--width` channels).
public typealias ConvolutionalGBML = FiniteGBMLTrainer<ConvolutionalNetwork>

/// A task with the centering f_θ₀ of its support and query points.
struct CenteredTask: Sendable {
    let support: Matrix
    let supportLabels: Matrix
    /// f_θ₀(X').
    let supportOffset: Matrix
    let query: Matrix
    let queryLabels: Matrix?
    /// f_θ₀(X).
    let queryOffset: Matrix

    /// The task whose support and query rows in the stacked points (and in `offsets`) are given.
    init(_ task: FewShotTask, offsets: Matrix, support: Range<Int>, query: Range<Int>) {
        (self.support, supportLabels, supportOffset) = (task.supportInputs, task.supportLabels, offsets.rows(support))
        (self.query, queryLabels, queryOffset) = (task.queryInputs, task.queryLabels, offsets.rows(query))
    }
}
