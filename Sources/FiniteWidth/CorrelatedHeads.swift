import LinearAlgebra

/// Heads with pairwise correlation ρ at initialisation (theory.md §5, §7):
///
///     head_i = √ρ·c + √(1−ρ)·e_i,
///
/// c and e_i independent draws from the readout's initial distribution, so every entry keeps
/// that distribution and two heads' entries have correlation ρ (ρ = 1: one common head; ρ = 0:
/// independent heads). c is the network's own initial readout (stream 0 of the seed), so at
/// ρ = 1 every MTL head starts where a GBML network of the same seed starts; e_i comes from
/// stream 1 000 000 + i for training head i and 2 000 000 + j for test task j's new head.
public struct CorrelatedHeads: Sendable {
    /// ρ.
    public let correlation: Double
    /// c, the common draw.
    public let common: [Double]
    /// The readout whose initial distribution the heads are drawn from (relocated to offset 0).
    private let readout: AffineLayer
    private let seed: UInt64

    public init<Network: LinearHeadNetwork>(network: Network, correlation: Double, seed: UInt64) throws {
        guard correlation >= 0, correlation <= 1 else { throw FiniteTrainingError.headCorrelationOutOfRange(correlation) }
        self.correlation = correlation
        readout = network.readout.relocated(to: 0)
        self.seed = seed
        common = Array(network.parameters[network.readout.parameters])
    }

    /// head_i of training task i.
    public func trainingHead(_ i: Int) -> [Double] { head(stream: 1_000_000 + UInt64(i)) }

    /// The new head of test task j, drawn like the training heads.
    public func newHead(testTask j: Int) -> [Double] { head(stream: 2_000_000 + UInt64(j)) }

    private func head(stream: UInt64) -> [Double] {
        guard correlation < 1 else { return common }
        var generator = SeededGenerator(seed: seed, stream: stream)
        var head = [Double](repeating: 0, count: readout.parameterCount)
        head.withUnsafeMutableBufferPointer { readout.drawParameters(into: $0, using: &generator) }
        for i in head.indices { head[i] *= (1 - correlation).squareRoot() }
        ParameterArithmetic.addScaled(common, correlation.squareRoot(), to: &head)
        return head
    }
}
