import FewShot
import LinearAlgebra

/// GBML's test-time prediction (theory.md §4, §7): the meta-trained network θ adapts on each
/// test task's support set with τ̂ steps of rate λ̂ — the head alone for ANIL (one forward pass
/// on all test points gives the features), all parameters for MAML and FOMAML — and predicts
/// F(X) = f_θ̂(X) − f_θ₀(X) on its query points.
extension FiniteGBMLTrainer {
    public func predictions() throws -> [Matrix] {
        try predictions(headOnly: settings.method == .anil)
    }

    /// The test predictions after adapting the head alone (`headOnly`: ANIL's adaptation, also
    /// for a MAML-trained network — the same test-time adaptation as MTL's and ANIL's, for a
    /// like-for-like comparison) or all parameters (MAML's own).
    public func predictions(headOnly: Bool) throws -> [Matrix] {
        guard !testTasks.isEmpty else { throw FiniteTrainingError.noTestTasks }
        switch headOnly {
        case true:
            let features = try network.features(points.inputs.rows(points.testPoints))
            return testTasks.indices.map { j in
                let (support, query) = (points.localTestSupport(j), points.localTestQuery(j))
                let head = adaptHead(network, features: features.rows(support), task: testTasks[j],
                                     schedule: testSchedule).adapted
                return network.headOutputs(features: features.rows(query), head: head) - testTasks[j].queryOffset
            }
        case false:
            return try testTasks.map { task in
                try withAdaptedParameters(task, from: network, schedule: testSchedule) { p in
                    try network.outputs(task.query, offset: task.queryOffset, at: p)
                }
            }
        }
    }

    public func testLoss() throws -> Double? {
        guard tasks.hasTestLabels else { return nil }
        return Self.sumLoss(try predictions(), tasks.test.map(\.queryLabels))
    }
}
