import Foundation
import LinearAlgebra

/// The reference vectors copied from the shared test data into Tests/Fixtures (kernels computed
/// with 40-digit arithmetic and checked against Neural Tangents; predictors from an independent
/// float64 implementation of theory.md). Parsed with `JSONDecoder`, which reads doubles bit-exactly.
public enum Fixtures {
    public static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    public static func files(in folder: String) -> [URL] {
        let url = directory.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().map { url.appendingPathComponent($0) }
    }

    public static func kernelCases() throws -> [KernelCase] {
        try files(in: "kernels").map { try JSONDecoder().decode(KernelCase.self, from: Data(contentsOf: $0)) }
    }
}

/// One kernel reference case (Tests/Fixtures/README.md).
public struct KernelCase: Decodable, Sendable {
    public struct Inputs: Decodable, Sendable {
        public let x1: [[Double]]
        public let x2: [[Double]]?
    }
    public struct Config: Decodable, Sendable {
        public let depth: Int
        public let activation: String
        public let w_std: Double
        public let b_std: Double
        public let out_w_std: Double?
        public let out_b_std: Double?
    }
    public struct Expected: Decodable, Sendable {
        public let nngp: [[Double]]
        public let ntk: [[Double]]
        public let head: [[Double]]
        public let body: [[Double]]
    }
    public struct Provenance: Decodable, Sendable {
        public let min_angle_over_layers: Double?
        public let error_of_gauss_hermite_rules: [String: Double]?
    }

    public let name: String
    public let description: String
    public let tolerance: Double
    public let cli_args: [String]
    public let inputs: Inputs
    public let config: Config
    public let expected: Expected
    public let provenance: Provenance

    public var x1: Matrix { Matrix(rowArrays: inputs.x1) }
    public var x2: Matrix? { inputs.x2.map(Matrix.init(rowArrays:)) }

    /// The expected matrix of kernel `kind` ("nngp", "ntk", "head", "body").
    public func expected(_ kind: String) -> Matrix {
        switch kind {
        case "nngp": return Matrix(rowArrays: expected.nngp)
        case "ntk": return Matrix(rowArrays: expected.ntk)
        case "head": return Matrix(rowArrays: expected.head)
        default: return Matrix(rowArrays: expected.body)
        }
    }
}
