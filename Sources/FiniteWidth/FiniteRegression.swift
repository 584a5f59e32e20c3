import FewShot
import InfiniteWidth
import LinearAlgebra

/// Plain regression, the base case of theory.md §7: one task (X, Y), S full-batch
/// gradient-descent steps of rate η on the centered sum loss
///
///     L(θ) = ½‖f_θ(X) − f_θ₀(X) − Y‖²,   θ ← θ − η·∇L(θ),
///
/// and predictions f_θ(x) − f_θ₀(x) on new points. Its infinite-width limit is the kernel
/// predictor Θ(x, X)·h(Θ(X, X))·Y with the discrete h(φ) = (1 − (1 − ηφ)^S)/φ of
/// `TrainingTime.gradientDescent` (`kernelPredictions`).
public struct FiniteRegression: FiniteLearner {
    public let inputs: Matrix
    public let labels: Matrix
    /// The new points x at which `predictions()` evaluates the trained network.
    public let testInputs: Matrix
    public let testLabels: Matrix?
    /// η and S.
    public let schedule: GradientDescentSchedule
    /// θ₀, the network at initialisation (the centering).
    public let initialNetwork: FullyConnectedNetwork
    /// θ, the network being trained.
    public private(set) var network: FullyConnectedNetwork
    /// Θ̂(x, X)·h(Θ̂(X, X))·Y with the empirical NTK at initialisation: the network's
    /// linearization trained by the same schedule (exact for one output).
    public let initialKernelPredictions: Matrix
    public private(set) var stepsTaken = 0
    private let offset: Matrix
    private let testOffset: Matrix

    /// Draws the network from `seed` and refuses an η above 2/λ_max(Θ̂(X, X)) (error naming
    /// --meta-rate and the bound). `training` must be `.gradientDescent(rate: η, steps: S)`.
    public init(inputs: Matrix, labels: Matrix, testInputs: Matrix, testLabels: Matrix? = nil,
                architecture: Architecture, width: Int, seed: UInt64, training: TrainingTime) throws {
        let testLabelsFit = testLabels.map { $0.rows == testInputs.rows && $0.columns == labels.columns } ?? true
        guard labels.rows == inputs.rows, testLabelsFit else {
            throw FiniteTrainingError.regressionShape(
                message: "regression needs one label row per input row and test labels as wide as the training labels")
        }
        schedule = try GradientDescentSchedule(training)
        network = try FullyConnectedNetwork(architecture: architecture, inputDimension: inputs.columns, width: width,
                                            outputs: labels.columns, seed: seed)
        try network.validateInputs(inputs, name: "the training inputs X")
        try network.validateInputs(testInputs, name: "the test inputs x")
        let all = try network.empiricalKernels(Matrix.stackingRows([inputs, testInputs])).ntk
        let (train, test) = (0..<inputs.rows, inputs.rows..<all.rows)
        initialKernelPredictions = try Self.kernelPredictions(
            trainKernel: all.block(rows: train, columns: train), crossKernel: all.block(rows: test, columns: train),
            labels: labels, training: training, kernelName: "Θ̂(X, X), the empirical NTK at initialisation")
        initialNetwork = network
        offset = try network.outputs(inputs)
        testOffset = try network.outputs(testInputs)
        (self.inputs, self.labels, self.testInputs, self.testLabels) = (inputs, labels, testInputs, testLabels)
    }

    /// Θ(x, X)·h(Θ(X, X))·Y: kernel regression trained by `training` from an output-zero start
    /// (the infinite-width predictor with the analytic Θ; the linearization with Θ̂). A
    /// gradient-descent rate above 2/λ_max(Θ(X, X)) is refused with the bound.
    public static func kernelPredictions(trainKernel: Matrix, crossKernel: Matrix, labels: Matrix,
                                         training: TrainingTime, kernelName: String = "Θ(X, X)") throws -> Matrix {
        Matrix.product(crossKernel, try training.apply(to: trainKernel, labels, matrixName: kernelName))
    }

    public var parameters: [Double] { network.parameters }
    public var scheduledSteps: Int { schedule.steps }

    public func outerLoss(at parameters: [Double]? = nil) throws -> Double {
        try network.replacingParameters(parameters).loss(inputs, targets: labels, offset: offset)
    }

    public func outerGradient(at parameters: [Double]? = nil) throws -> LossGradient {
        try network.replacingParameters(parameters).lossGradient(inputs, targets: labels, offset: offset)
    }

    public mutating func step() throws -> Double {
        let gradient = try outerGradient()
        network = ParameterArithmetic.moved(network, -schedule.rate, along: gradient.gradient)
        stepsTaken += 1
        return gradient.loss
    }

    /// [f_θ(x) − f_θ₀(x)] on the test inputs.
    public func predictions() throws -> [Matrix] { [try network.outputs(testInputs, offset: testOffset)] }

    public func testLoss() throws -> Double? { Self.sumLoss(try predictions(), [testLabels]) }
}
