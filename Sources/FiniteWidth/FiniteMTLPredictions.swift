import FewShot
import LinearAlgebra
import Paradigms

/// MTL's test-time prediction (theory.md §5, §7): a test task gets a new head w, centered by a
/// reference head w_ref through the initial body,
///
///     g(x) = w(H_θ(x)) − w_ref(H_θ₀(x)),
///
/// which starts as `init` — w = w_ref = √ρ·c + √(1−ρ)·e_new, drawn like the training heads —
/// or `mean` — w = mean of the trained heads, w_ref = mean of the initial heads; then τ̂ steps
/// of rate λ̂ on ½‖g(X') − Y'‖² over w alone, and F_MTL(X) = g(X) on the query points.
extension FiniteMTLTrainer {
    /// (w, w_ref): the head test task j starts from, and the head whose output through θ₀
    /// centers it.
    public func newHeadStart(testTask j: Int) -> (start: [Double], reference: [Double]) {
        switch settings.newHead {
        case .initialization:
            let head = headDraws.newHead(testTask: j)
            return (head, head)
        case .mean:
            return (Self.mean(heads), Self.mean(initialHeads))
        }
    }

    public func predictions() throws -> [Matrix] {
        guard let initialFeatures = initialTestFeatures else { throw FiniteTrainingError.noTestTasks }
        let trained = try network.features(points.inputs.rows(points.testPoints))
        return tasks.test.indices.map { j in
            let (support, query) = (points.localTestSupport(j), points.localTestQuery(j))
            let (start, reference) = newHeadStart(testTask: j)
            let supportOffset = network.headOutputs(features: initialFeatures.rows(support), head: reference)
            let adapted = network.adaptHead(start, features: trained.rows(support), offset: supportOffset,
                                            labels: tasks.test[j].supportLabels, schedule: testSchedule).adapted
            return network.headOutputs(features: trained.rows(query), head: adapted)
                - network.headOutputs(features: initialFeatures.rows(query), head: reference)
        }
    }

    public func testLoss() throws -> Double? {
        guard tasks.hasTestLabels else { return nil }
        return Self.sumLoss(try predictions(), tasks.test.map(\.queryLabels))
    }

    /// (1/N)·Σ_i w_i.
    static func mean(_ heads: [[Double]]) -> [Double] {
        var sum = [Double](repeating: 0, count: heads[0].count)
        for head in heads { ParameterArithmetic.addScaled(head, 1 / Double(heads.count), to: &sum) }
        return sum
    }
}
