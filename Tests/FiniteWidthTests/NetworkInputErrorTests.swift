import FiniteWidth
import InfiniteWidth
import LinearAlgebra
import XCTest

/// Bad networks and bad inputs are refused with a typed error that names the flag or the inputs.
final class NetworkInputErrorTests: XCTestCase {
    private let architecture = try! Architecture(depth: 2, activation: .relu)

    private func assertError<T>(_ expression: @autoclosure () throws -> T, _ expected: FiniteWidthError,
                                mentions words: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try expression(), file: file, line: line) { error in
            XCTAssertEqual(error as? FiniteWidthError, expected, file: file, line: line)
            for word in words {
                XCTAssertTrue("\(error)".contains(word), "'\(error)' should mention '\(word)'", file: file, line: line)
            }
        }
    }

    func testInvalidNetworksAreRefused() throws {
        assertError(try FullyConnectedNetwork(architecture: architecture, inputDimension: 3, width: 0, seed: 1),
                    .invalidWidth(0), mentions: ["the hidden width h", "at least 1", "got 0"])
        assertError(try FullyConnectedNetwork(architecture: architecture, inputDimension: 3, width: -4, seed: 1),
                    .invalidWidth(-4), mentions: ["the hidden width h", "-4"])
        assertError(try FullyConnectedNetwork(architecture: architecture, inputDimension: 0, width: 8, seed: 1),
                    .invalidInputDimension(0), mentions: ["input dimension"])
        assertError(try FullyConnectedNetwork(architecture: architecture, inputDimension: 3, width: 8, outputs: 0, seed: 1),
                    .invalidOutputCount(0), mentions: ["outputs"])
        let standard = try Architecture(depth: 2, activation: .relu, parameterization: .standard(hiddenWidth: 16))
        assertError(try FullyConnectedNetwork(architecture: standard, inputDimension: 3, width: 8, seed: 1),
                    .parameterizationWidthMismatch(width: 8, parameterizationWidth: 16), mentions: ["the hidden width h", "8", "16"])
        XCTAssertNoThrow(try FullyConnectedNetwork(architecture: standard, inputDimension: 3, width: 16, seed: 1))
        assertError(try FullyConnectedNetwork(architecture: architecture, inputDimension: 1, width: 1, parameters: [1, 2]),
                    .parameterCountMismatch(expected: 2 + 2 + 2, found: 2), mentions: ["6 parameters", "2 values"])
    }

    func testMismatchedInputsAreRefused() throws {
        let network = try FullyConnectedNetwork(architecture: architecture, inputDimension: 4, width: 8, outputs: 2, seed: 1)
        let good = Matrix(rows: 3, columns: 4), wide = Matrix(rows: 3, columns: 5)
        let mismatch = FiniteWidthError.inputDimensionMismatch(set: "X", expected: 4, found: 5)
        assertError(try network.outputs(wide), mismatch, mentions: ["X has 5 columns", "dimension 4"])
        assertError(try network.features(wide), mismatch, mentions: ["X has 5 columns"])
        assertError(try network.trace(wide), mismatch, mentions: ["X"])
        assertError(try network.lossGradient(wide, targets: Matrix(rows: 3, columns: 2)), mismatch, mentions: ["X"])
        assertError(try network.empiricalKernels(good, wide),
                    .inputDimensionMismatch(set: "X2", expected: 4, found: 5), mentions: ["X2 has 5 columns", "dimension 4"])
        assertError(try network.headKernel(wide),
                    .inputDimensionMismatch(set: "X1", expected: 4, found: 5), mentions: ["X1"])
        assertError(try network.outputs(Matrix(rows: 0, columns: 4)), .noPoints(set: "X"), mentions: ["X holds no points"])
    }

    func testMismatchedLabelsAndOffsetsAreRefused() throws {
        let network = try FullyConnectedNetwork(architecture: architecture, inputDimension: 4, width: 8, outputs: 2, seed: 1)
        let x = Matrix(rows: 3, columns: 4)
        assertError(try network.lossGradient(x, targets: Matrix(rows: 3, columns: 1)),
                    .shapeMismatch(matrix: "the labels Y", expectedRows: 3, expectedColumns: 2, rows: 3, columns: 1),
                    mentions: ["labels Y", "3×1", "3×2"])
        assertError(try network.hessianVectorProduct(x, targets: Matrix(rows: 2, columns: 2),
                                                     direction: network.parameters),
                    .shapeMismatch(matrix: "the labels Y", expectedRows: 3, expectedColumns: 2, rows: 2, columns: 2),
                    mentions: ["labels Y"])
        assertError(try network.outputs(x, offset: Matrix(rows: 4, columns: 2)),
                    .shapeMismatch(matrix: "the output offset", expectedRows: 3, expectedColumns: 2, rows: 4, columns: 2),
                    mentions: ["offset", "4×2"])
        assertError(try network.empiricalKernels(x, outputIndex: 2),
                    .outputIndexOutOfRange(index: 2, outputs: 2), mentions: ["output index 2", "0…1"])
    }
}
