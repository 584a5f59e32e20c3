import FewShot
import FiniteWidth
import InfiniteWidth
import LinearAlgebra
import Paradigms

/// One method trained at one width and seed, measured against its infinite-width predictor.
public struct TrainedRun: Sendable, Equatable {
    public let method: FiniteMethod
    /// Mean over test tasks of ‖F_finite − F_∞‖_F/‖F_∞‖_F, F_∞ the kernel predictor with the same
    /// discrete hyperparameters; nil for FOMAML.
    public let predictionError: Double?
    public let finalOuterLoss: Double
    /// Σ_j ½‖F_j − Y_j‖² on the test tasks, when they have labels.
    public let testLoss: Double?
    /// Wall time of the S outer steps.
    public let trainingSeconds: Double
    public let steps: Int

    public init(method: FiniteMethod, predictionError: Double?, finalOuterLoss: Double, testLoss: Double?,
                trainingSeconds: Double, steps: Int) {
        self.method = method
        self.predictionError = predictionError
        self.finalOuterLoss = finalOuterLoss
        self.testLoss = testLoss
        self.trainingSeconds = trainingSeconds
        self.steps = steps
    }
}

/// Everything measured at one width and seed (theory.md §7).
public struct WidthMeasurement: Sendable, Equatable {
    public let width: Int
    public let seed: UInt64
    /// ‖Θ̂ − Θ‖_F/‖Θ‖_F and ‖𝒦̂ − 𝒦‖_F/‖𝒦‖_F at initialisation, on every stacked point.
    public let ntkError: Double
    public let nngpError: Double
    public let runs: [TrainedRun]
    /// The finite-width MTL–ANIL distance (mean relative over test tasks), when both were trained.
    public let mtlToANIL: Double?

    public init(width: Int, seed: UInt64, ntkError: Double, nngpError: Double, runs: [TrainedRun], mtlToANIL: Double?) {
        self.width = width
        self.seed = seed
        self.ntkError = ntkError
        self.nngpError = nngpError
        self.runs = runs
        self.mtlToANIL = mtlToANIL
    }
}

/// The infinite-width side of a convergence study, computed once: the analytic kernels and each
/// method's kernel predictions.
public struct KernelReference: Sendable {
    public let kernels: TaskKernels
    public let predictions: [FiniteMethod: [Matrix]]

    public init(tasks: TaskSet, architecture: Architecture, settings: FiniteSettings, methods: [FiniteMethod],
                quadrature: QuadratureRule = .trapezoid) throws {
        kernels = try TaskKernels(tasks: tasks, architecture: architecture, quadrature: quadrature)
        var predictions: [FiniteMethod: [Matrix]] = [:]
        for method in methods {
            predictions[method] = try settings.kernelPredictions(method, tasks: tasks, kernels: kernels)
        }
        self.predictions = predictions
    }

    /// The analytic MTL–ANIL distance, when both were computed.
    public var mtlToANIL: Double? {
        guard let mtl = predictions[.mtl], let anil = predictions[.anil] else { return nil }
        return Closeness(mtl, from: anil).relative.mean
    }
}

/// Finite networks approaching their kernel limits as width grows (theory.md §7).
public enum ConvergenceSweep {
    /// Trains every method at `width` from `seed`, after measuring the empirical kernels at
    /// initialisation; `progress` is told after each method.
    public static func measure(tasks: TaskSet, architecture: Architecture, settings: FiniteSettings, methods: [FiniteMethod],
                               width: Int, seed: UInt64, reference: KernelReference,
                               progress: (FiniteMethod) -> Void = { _ in }) throws -> WidthMeasurement {
        let (ntk, nngp) = try empiricalKernels(tasks: tasks, architecture: architecture, width: width, seed: seed,
                                               points: reference.kernels.points.inputs)
        let analytic = reference.kernels.kernels
        let ntkError = relativeFrobenius(ntk, analytic.ntk)
        let nngpError = relativeFrobenius(nngp, analytic.nngp)
        var runs: [TrainedRun] = [], predictions: [FiniteMethod: [Matrix]] = [:]
        for method in methods {
            var learner = try settings.learner(method, tasks: tasks, architecture: architecture, width: width, seed: seed)
            let log = try learner.train()
            let finite = try learner.predictions()
            predictions[method] = finite
            let error = reference.predictions[method].map { Closeness(finite, from: $0).relative.mean }
            runs.append(TrainedRun(method: method, predictionError: error, finalOuterLoss: log.entries.last!.outerLoss,
                                   testLoss: try learner.testLoss(), trainingSeconds: log.entries.last!.seconds,
                                   steps: learner.stepsTaken))
            progress(method)
        }
        let pair = predictions[.mtl].flatMap { mtl in predictions[.anil].map { Closeness(mtl, from: $0).relative.mean } }
        return WidthMeasurement(width: width, seed: seed, ntkError: ntkError, nngpError: nngpError, runs: runs, mtlToANIL: pair)
    }

    /// Θ̂ and the empirical NNGP 𝒦̂ at initialisation of the network of `architecture` (for the
    /// convolutional network in NTK parameterization 𝒦̂ = K̂, the readout's tangent kernel, whose
    /// limit is the CNTK's NNGP).
    static func empiricalKernels(tasks: TaskSet, architecture: Architecture, width: Int, seed: UInt64,
                                 points: Matrix) throws -> (ntk: Matrix, nngp: Matrix) {
        guard architecture.convolution == nil else {
            let network = try ConvolutionalNetwork(architecture: architecture, inputDimension: tasks.inputDimension,
                                                   width: width, outputs: tasks.labelWidth, seed: seed)
            let kernels = try network.empiricalKernels(points)
            return (kernels.ntk, kernels.head)
        }
        let network = try FullyConnectedNetwork(architecture: architecture, inputDimension: tasks.inputDimension,
                                                width: width, outputs: tasks.labelWidth, seed: seed)
        return (try network.empiricalNTK(points), try network.empiricalNNGP(points))
    }

    /// ‖A − B‖_F/‖B‖_F.
    static func relativeFrobenius(_ a: Matrix, _ b: Matrix) -> Double {
        (a - b).frobeniusNorm / b.frobeniusNorm
    }
}
