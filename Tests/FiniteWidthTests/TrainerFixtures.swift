import FewShot
import FiniteWidth
import InfiniteWidth
import LinearAlgebra
import Paradigms

/// Task sets, settings and measurements shared by the trainer tests.
enum TrainerFixtures {
    /// Teacher tasks (inputs on the unit sphere S³, labels of a random ReLU teacher): N training
    /// tasks and `test` test tasks of 3 support and 4 query points.
    static func tasks(outputs: Int = 1, train: Int = 3, test: Int = 2, support: Int = 3, query: Int = 4,
                      dimension: Int = 4, seed: UInt64 = 5) throws -> TaskSet {
        try TaskFamily.teacher(dimension: dimension, outputs: outputs, features: 8)
            .tasks(trainTasks: train, testTasks: test, support: support, query: query, seed: seed)
    }

    /// A small network with a bias everywhere (every parameter gets a gradient).
    static func architecture(_ activation: Activation, depth: Int) throws -> Architecture {
        try Architecture(depth: depth, activation: activation, weightStd: 1.2, biasStd: 0.3, readoutWeightStd: 0.9,
                         readoutBiasStd: 0.3)
    }

    /// The largest eigenvalue of a symmetric matrix.
    static func largestEigenvalue(_ m: Matrix) throws -> Double {
        try SymmetricEigendecomposition(m, name: "a test matrix").largestEigenvalue
    }

    /// max_i λ_max(κ̂(X'_i, X'_i)) over the training tasks for the network the learners draw
    /// from `seed` (κ̂ = Θ̂ for MAML, K̂ for ANIL and MTL heads).
    static func largestSupportEigenvalue(_ tasks: TaskSet, _ architecture: Architecture, width: Int, seed: UInt64,
                                         method: GBMLMethod) throws -> Double {
        let network = try FullyConnectedNetwork(architecture: architecture, inputDimension: tasks.inputDimension,
                                                width: width, outputs: tasks.labelWidth, seed: seed)
        return try tasks.train.map { task in
            let kernels = try network.empiricalKernels(task.supportInputs)
            return try largestEigenvalue(method == .maml ? kernels.ntk : kernels.head)
        }.max()!
    }

    /// A standard normal vector of `count` entries.
    static func gaussianVector(_ count: Int, seed: UInt64) -> [Double] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in generator.normal() }
    }

    /// ‖A − B‖_F / ‖B‖_F over all test tasks' predictions stacked.
    static func relativeError(_ a: [Matrix], _ b: [Matrix]) -> Double {
        TestNetworks.relativeError(Matrix.stackingRows(a), Matrix.stackingRows(b))
    }

    /// |a − b| / |b|.
    static func relativeError(_ a: Double, _ b: Double) -> Double { abs(a - b) / abs(b) }
}
