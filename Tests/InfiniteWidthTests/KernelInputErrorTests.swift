import InfiniteWidth
import LinearAlgebra
import XCTest

final class KernelInputErrorTests: XCTestCase {
    private let arch = try! Architecture(depth: 2, activation: .relu)

    func testRefusesBadInputs() {
        let x = Matrix(rowArrays: [[1, 2], [3, 4]])
        XCTAssertThrowsError(try KernelRecursion(arch).kernels(x, Matrix(rowArrays: [[1, 2, 3]]))) {
            XCTAssertEqual($0 as? KernelInputError,
                           .dimensionMismatch(firstSet: "X1", firstDimension: 2, secondSet: "X2", secondDimension: 3))
        }
        XCTAssertThrowsError(try KernelRecursion(arch).kernels(Matrix(rows: 0, columns: 2))) {
            XCTAssertEqual($0 as? KernelInputError, .noPoints(set: "X1"))
        }
        var bad = x
        bad[1, 0] = .infinity
        XCTAssertThrowsError(try KernelRecursion(arch).kernels(x, bad)) {
            XCTAssertEqual($0 as? KernelInputError, .nonFiniteInput(set: "X2", row: 1, column: 0))
        }
        XCTAssertThrowsError(try KernelRecursion(arch).kernels(x, depths: [2, 0])) {
            XCTAssertEqual($0 as? KernelInputError, .invalidDepths([2, 0]))
        }
    }

    /// Σ grows like σ_w^{2L}: overflow is refused, never written as inf or NaN.
    func testOverflowIsRefused() throws {
        let x = Matrix(rowArrays: [[1e10, 1], [2, 3]])
        let wide = try Architecture(depth: 300, activation: .relu, weightStd: 30)
        XCTAssertThrowsError(try KernelRecursion(wide).kernels(x)) { error in
            guard case .nonFiniteKernel? = error as? KernelInputError else { return XCTFail("\(error)") }
        }
    }

    func testArchitectureValidation() {
        XCTAssertThrowsError(try Architecture(depth: 0, activation: .relu)) {
            XCTAssertEqual($0 as? ArchitectureError, .invalidDepth(0))
        }
        XCTAssertThrowsError(try Architecture(depth: 1, activation: .relu, weightStd: -1)) {
            XCTAssertEqual($0 as? ArchitectureError, .invalidStandardDeviation(parameter: .weightStd, value: -1))
        }
        XCTAssertThrowsError(try Architecture(depth: 1, activation: .relu, readoutBiasStd: .nan)) { error in
            XCTAssertTrue("\(error)".contains("σ_b of the readout"))
        }
        XCTAssertThrowsError(try Architecture(depth: 1, activation: .relu, parameterization: .standard(hiddenWidth: 0)))
    }

    func testActivationParsing() throws {
        XCTAssertEqual(try Activation(parsing: "relu"), .relu)
        XCTAssertEqual(try Activation(parsing: "leaky-relu:0.1"), .leakyReLU(slope: 0.1))
        XCTAssertEqual(try Activation(parsing: "abrelu:-0.5,1.5"), .abReLU(negativeSlope: -0.5, positiveSlope: 1.5))
        XCTAssertEqual(try Activation(parsing: "GELU"), .gelu)
        for text in ["relux", ""] {
            XCTAssertThrowsError(try Activation(parsing: text), text) { error in
                XCTAssertEqual(error as? ActivationError, .unknownName(text))
                XCTAssertTrue("\(error)".contains("leaky-relu:<α>"))
                XCTAssertTrue("\(error)".contains("rectified-monomial:<n>"))
            }
        }
        let badParameters = ["leaky-relu:": "leaky-relu", "leaky-relu:a": "α", "abrelu:1": "abrelu", "abrelu:1,2,3": "abrelu",
                             "abrelu:nan,1": "parameter a", "monomial:-1": "parameter n", "elu:nan": "parameter α",
                             "polynomial:": "polynomial", "monomial:2.5": "parameter n", "hermite:x": "parameter n",
                             "relu:1": "no parameters", "polynomial:1,,2": "parameter c1", "rectified-monomial:99": "0 to 32"]
        for (text, named) in badParameters {
            XCTAssertThrowsError(try Activation(parsing: text), text) { error in
                XCTAssertNotNil(error as? ActivationError, text)
                XCTAssertTrue("\(error)".contains(named), "\(text): \(error)")
            }
        }
        for activation in KernelPropertyTests.activations {
            XCTAssertEqual(try Activation(parsing: activation.description), activation)
        }
    }
}
