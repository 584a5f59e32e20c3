import FewShot
import InfiniteWidth
import LinearAlgebra
import Paradigms

/// Multi-task learning at finite width (theory.md §5, §7): one body θ and N heads w_i (one per
/// training task, pairwise correlation ρ at initialisation, `CorrelatedHeads`), trained jointly
/// by S full-batch gradient-descent steps of rate η on the centered sum loss
///
///     L(θ, w) = Σ_i ½‖w_i(H_θ(D_i)) − w_i⁰(H_θ₀(D_i)) − Y_{D_i}‖²,   (θ, w) ← (θ, w) − η·∇L,
///
/// with H_θ = H^L the body's features and D_i task i's query set (or query and support merged,
/// `MTLSettings.TrainingData`). The body's forward and backward passes run once per step on all
/// tasks' points stacked; each head reads its own rows. A test task gets a new head and τ̂
/// steps of rate λ̂ on its support set (`predictions()`).
///
/// Its infinite-width limit is `TrainedMTL` with the same settings: training
/// `.gradientDescent(rate: η, steps: S)` and test solver `.gradientDescent(rate: λ̂, steps: τ̂)`.
///
/// Generic over the network (`FiniteMTL`: fully connected; `ConvolutionalMTL`: convolutional).
public struct FiniteMTLTrainer<Network: TrainableNetwork>: FiniteLearner {
    public let tasks: TaskSet
    public let settings: MTLSettings
    /// η and S.
    public let schedule: GradientDescentSchedule
    /// λ̂ and τ̂ of the test-time head fine-tuning.
    public let testSchedule: GradientDescentSchedule
    /// The heads' initial draws (and the new test heads).
    public let headDraws: CorrelatedHeads
    /// w_i⁰, the heads at initialisation.
    public let initialHeads: [[Double]]
    /// θ₀ (its readout is c, the common head draw).
    public let initialNetwork: Network
    /// The trained body θ; its own readout stays c and is not trained (the heads are `heads`).
    public private(set) var network: Network
    /// w_i, the trained heads.
    public private(set) var heads: [[Double]]
    /// `TrainedMTL` on the empirical kernels at initialisation (the linearization; exact for one
    /// output and ρ = 1). Building it refuses a divergent η (against λ_max(Θ̂_MTL)); λ̂ is checked
    /// directly against λ_max(K̂(X', X')) of each test support set.
    public let initialKernelPredictor: TrainedMTL
    public private(set) var stepsTaken = 0
    let points: StackedPoints
    let data: MultiTaskData
    /// H_θ₀ on the test points (rows in the order of `points`, after the training points).
    let initialTestFeatures: Matrix?

    public init(tasks: TaskSet, architecture: Architecture, width: Int, seed: UInt64, settings: MTLSettings) throws {
        guard settings.diagonalRegularization == 0 else {
            throw FiniteTrainingError.diagonalRegularization(settings.diagonalRegularization)
        }
        schedule = try GradientDescentSchedule(settings.training)
        testSchedule = try GradientDescentSchedule(settings.testSolver, testTime: true)
        let network = try Network(architecture: architecture, inputDimension: tasks.inputDimension,
                                  width: width, outputs: tasks.labelWidth, seed: seed)
        headDraws = try CorrelatedHeads(network: network, correlation: settings.headCorrelation, seed: seed)
        points = StackedPoints(tasks)
        let kernels = try network.empiricalTaskKernels(points)
        initialKernelPredictor = try TrainedMTL(tasks: tasks, kernels: kernels, settings: settings)
        // λ̂ against λ_max(K̂(X', X')) of each test support set, directly on the eigenvalues.
        try FiniteGBMLTrainer<Network>.checkStability(testSchedule, SupportSpectra.head(kernels).test,
                                                      parameter: .testInnerRate)
        let heads = tasks.train.indices.map(headDraws.trainingHead)
        let features = try network.features(points.inputs)
        data = MultiTaskData(tasks: tasks, points: points, data: settings.data, network: network,
                             initialFeatures: features, initialHeads: heads)
        // The same batch shape `predictions()` uses for the trained body, so that an untrained
        // network's centered test outputs are zero bit for bit (BLAS rounds batches differently).
        initialTestFeatures = tasks.test.isEmpty ? nil : try network.features(points.inputs.rows(points.testPoints))
        (self.tasks, self.settings, self.network, initialNetwork) = (tasks, settings, network, network)
        (self.heads, initialHeads) = (heads, heads)
    }

    public var scheduledSteps: Int { schedule.steps }

    /// The body's parameters, then w_1 … w_N (the network's own readout is not trained).
    public var parameters: [Double] { Array(network.parameters[network.bodyParameters]) + heads.flatMap { $0 } }

    public func outerLoss(at parameters: [Double]? = nil) throws -> Double {
        let (body, heads) = try split(parameters)
        let features = try body.features(data.inputs)
        return data.rows.indices.reduce(0) { loss, i in
            loss + Entrywise.halfSquaredNorm(data.residual(i, body, heads[i], taskFeatures: features.rows(data.rows[i])))
        }
    }

    /// L and ∇L: one forward and one backward pass through the body on all tasks' points.
    public func outerGradient(at parameters: [Double]? = nil) throws -> LossGradient {
        let (body, heads) = try split(parameters)
        let parts = try gradientParts(body, heads)
        return LossGradient(loss: parts.loss, gradient: parts.body + parts.heads.flatMap { $0 })
    }

    public mutating func step() throws -> Double {
        let parts = try gradientParts(network, heads)
        ParameterArithmetic.addScaled(parts.body, -schedule.rate, to: &network.parameters)
        for i in heads.indices { ParameterArithmetic.addScaled(parts.heads[i], -schedule.rate, to: &heads[i]) }
        stepsTaken += 1
        return parts.loss
    }

    /// L, ∂L/∂θ (the body) and ∂L/∂w_i: the residual r_i of each task gives its head's gradient
    /// and the feature gradient a·r_i·W_i on its rows of 𝒟; one backward pass of those rows
    /// gives the body's.
    private func gradientParts(_ body: Network, _ heads: [[Double]]) throws
        -> (loss: Double, body: [Double], heads: [[Double]]) {
        let trace = try body.traceBody(data.inputs)
        var featureGradient = Matrix(rows: data.inputs.rows, columns: body.featureCount)
        var headGradients: [[Double]] = []
        var loss = 0.0
        for (i, rows) in data.rows.enumerated() {
            let features = trace.features.rows(rows)
            let residual = data.residual(i, body, heads[i], taskFeatures: features)
            loss += Entrywise.halfSquaredNorm(residual)
            featureGradient.setBlock(body.featureGradient(outputGradient: residual, head: heads[i]), at: rows.lowerBound, 0)
            headGradients.append(body.headGradient(features: features, outputGradient: residual))
        }
        return (loss, body.bodyGradient(featureGradient: featureGradient, trace: trace), headGradients)
    }

    /// The network with the body of a flat MTL parameter vector (nil: the current one) and the heads.
    private func split(_ parameters: [Double]?) throws -> (Network, [[Double]]) {
        guard let parameters else { return (network, heads) }
        let bodyCount = network.bodyParameters.count, headCount = network.headParameters.count
        let expected = bodyCount + heads.count * headCount
        guard parameters.count == expected else {
            throw FiniteWidthError.parameterCountMismatch(expected: expected, found: parameters.count)
        }
        var body = network
        body.parameters.replaceSubrange(network.bodyParameters, with: parameters[0..<bodyCount])
        let heads = heads.indices.map { i in
            Array(parameters[(bodyCount + i * headCount)..<(bodyCount + (i + 1) * headCount)])
        }
        return (body, heads)
    }
}

/// Multi-task learning on a fully connected network.
public typealias FiniteMTL = FiniteMTLTrainer<FullyConnectedNetwork>
/// Multi-task learning on a convolutional network (`--width` channels).
public typealias ConvolutionalMTL = FiniteMTLTrainer<ConvolutionalNetwork>

/// The MTL training data: 𝒟 = [D_1; …; D_N] stacked, each task's rows, labels Y_{D_i} and
/// centering w_i⁰(H_θ₀(D_i)).
struct MultiTaskData: Sendable {
    let inputs: Matrix
    let rows: [Range<Int>]
    let labels: [Matrix]
    let offsets: [Matrix]

    init<Network: LinearHeadNetwork>(tasks: TaskSet, points: StackedPoints, data: MTLSettings.TrainingData, network: Network,
         initialFeatures: Matrix, initialHeads: [[Double]]) {
        let stacked = tasks.train.indices.map { data == .query ? points.trainQuery[$0] : points.trainTask($0) }
        var rows: [Range<Int>] = [], start = 0
        for range in stacked {
            rows.append(start..<(start + range.count))
            start += range.count
        }
        inputs = Matrix.stackingRows(stacked.map { points.inputs.rows($0) })
        self.rows = rows
        labels = tasks.train.map { data == .query ? $0.queryLabels! : Matrix.stackingRows([$0.queryLabels!, $0.supportLabels]) }
        offsets = stacked.indices.map { i in
            network.headOutputs(features: initialFeatures.rows(stacked[i]), head: initialHeads[i])
        }
    }

    /// w_i(H(D_i)) − w_i⁰(H_θ₀(D_i)) − Y_{D_i}, from the body's features H(D_i).
    func residual<Network: LinearHeadNetwork>(_ i: Int, _ body: Network, _ head: [Double], taskFeatures: Matrix) -> Matrix {
        body.headResidual(head, features: taskFeatures, offset: offsets[i], labels: labels[i])
    }
}
