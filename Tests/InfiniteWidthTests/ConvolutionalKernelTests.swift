import Foundation
import InfiniteWidth
import LinearAlgebra
import TestSupport
import XCTest

/// One convolutional reference case (Tests/Fixtures/conv-kernels: Neural Tangents 0.6.5 stax,
/// float64).
struct ConvolutionalKernelCase: Decodable {
    struct Conv: Decodable {
        let filter: [Int]
        let image: [Int]
        let padding: String
        let readout: String
    }
    struct Config: Decodable {
        let depth: Int
        let activation: String
        let w_std: Double
        let b_std: Double
        let out_w_std: Double
        let out_b_std: Double
        let conv: Conv
    }
    struct Inputs: Decodable {
        let x1: [[Double]]
        let x2: [[Double]]?
    }
    let name: String
    let tolerance: Double
    let config: Config
    let inputs: Inputs
    let expected: [String: [[Double]]]

    static func all() throws -> [ConvolutionalKernelCase] {
        try Fixtures.files(in: "conv-kernels").map { try JSONDecoder().decode(Self.self, from: Data(contentsOf: $0)) }
    }

    func architecture() throws -> Architecture {
        let c = config.conv
        let convolution = try Convolution(filterHeight: c.filter[0], filterWidth: c.filter[1], imageHeight: c.image[0],
                                          imageWidth: c.image[1], channels: c.image[2],
                                          padding: Convolution.Padding(rawValue: c.padding)!,
                                          readout: Convolution.Readout(rawValue: c.readout)!)
        return try Architecture(depth: config.depth, activation: Activation(parsing: config.activation),
                                weightStd: config.w_std, biasStd: config.b_std, readoutWeightStd: config.out_w_std,
                                readoutBiasStd: config.out_b_std, convolution: convolution)
    }

    func worstError(_ k: NetworkKernels) -> Double {
        [("nngp", k.nngp), ("ntk", k.ntk), ("head", k.head), ("body", k.body)]
            .map { $0.1.maxRelativeDifference(to: Matrix(rowArrays: expected[$0.0]!)) }.max()!
    }
}

final class ConvolutionalKernelTests: XCTestCase {
    /// c01–c05 within their tolerances: 1e-9, and 1e-6 on ReLU (Neural Tangents' own ReLU
    /// diagonal is ~1e-7 off).
    func testReferenceCases() throws {
        let cases = try ConvolutionalKernelCase.all()
        XCTAssertEqual(cases.count, 5)
        for c in cases {
            let x2 = c.inputs.x2.map(Matrix.init(rowArrays:))
            let kernels = try KernelRecursion(c.architecture()).kernels(Matrix(rowArrays: c.inputs.x1), x2)
            let error = c.worstError(kernels)
            print("conv kernel reference \(c.name): max relative error \(error) (tolerance \(c.tolerance))")
            XCTAssertLessThanOrEqual(error, c.tolerance, c.name)
        }
    }
}
