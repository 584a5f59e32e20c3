import Foundation
import LinearAlgebra
import TestSupport
import XCTest

/// The convolution flags (--conv, --image, --padding, --readout) through the command line:
/// the reference cases c01–c05 and every kind of bad input, refused naming the flag.
final class ConvolutionCommandTests: XCTestCase {
    private var scratch: ScratchDirectory!

    override func setUpWithError() throws { scratch = try ScratchDirectory() }
    override func tearDown() { scratch.remove() }

    func testConvolutionalReferenceCasesThroughTheCommandLine() throws {
        for url in Fixtures.files(in: "conv-kernels") {
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            let name = json["name"] as! String, tolerance = json["tolerance"] as! Double
            let inputs = json["inputs"] as! [String: Any]
            let x1 = try scratch.write(Matrix(rowArrays: inputs["x1"] as! [[Double]]), to: "\(name)-x1.csv")
            let x2 = try (inputs["x2"] as? [[Double]]).map { try scratch.write(Matrix(rowArrays: $0), to: "\(name)-x2.csv") }
            let out = scratch.path("\(name)-out")
            let arguments = (json["cli_args"] as! [String]).map { ["{x1}": x1, "{x2}": x2 ?? "", "{out}": out][$0] ?? $0 }
            let result = try CommandRunner.run(arguments, in: scratch.url)
            XCTAssertEqual(result.status, 0, result.standardError)
            let expected = json["expected"] as! [String: [[Double]]]
            for kind in ["nngp", "ntk", "head", "body"] {
                let error = try Matrix(csvFile: "\(out)/\(kind).csv")
                    .maxRelativeDifference(to: Matrix(rowArrays: expected[kind]!))
                XCTAssertLessThanOrEqual(error, tolerance, "\(name) \(kind)")
            }
        }
    }

    func testBadConvolutionInputsAreRefusedNamingTheFlag() throws {
        let images = try scratch.write("1,2,3,4\n5,6,7,8\n", to: "images.csv")   // 2×2×1 images
        let base = ["kernel", "--x1", images, "--activation", "relu", "--depth", "2"]
        let cases: [(arguments: [String], expected: [String])] = [
            (base + ["--conv", "3x3", "--image", "3x3x1"], ["--image", "9", "--x1", "4"]),
            (base + ["--conv", "3x3", "--image", "2x1x1"], ["--image", "2", "4"]),
            (base + ["--conv", "2x2", "--image", "2x2x1"], ["--conv", "odd", "2x2"]),
            (base + ["--conv", "5x-3", "--image", "2x2x1"], ["--conv", "5x-3"]),
            (base + ["--conv", "0x0", "--image", "2x2x1"], ["--conv", "0x0"]),
            (base + ["--conv", "three", "--image", "2x2x1"], ["--conv", "three"]),
            (base + ["--conv", "3x3"], ["--conv", "--image"]),
            (base + ["--image", "2x2x1"], ["--image", "--conv"]),
            (base + ["--padding", "circular"], ["--padding", "--conv"]),
            (base + ["--readout", "gap"], ["--readout", "--conv"]),
            (base + ["--conv", "3x3", "--image", "2x2"], ["--image", "HxWxC"]),
            (base + ["--conv", "3x3", "--image", "2x2x0"], ["--image", "2x2x0"]),
            (base + ["--conv", "3x3", "--image", "2x2x1", "--padding", "valid"], ["--padding", "valid", "same", "circular"]),
            (base + ["--conv", "3x3", "--image", "2x2x1", "--readout", "max"], ["--readout", "max", "flatten", "gap"]),
            (base + ["--conv", "3x3", "--image", "2x2x1", "--parameterization", "standard", "--width", "4"],
             ["--conv", "NTK parameterization"]),
        ]
        for (k, c) in cases.enumerated() {
            let out = "out-\(k)"
            let result = try CommandRunner.run(c.arguments + ["--out", out], in: scratch.url)
            XCTAssertNotEqual(result.status, 0, "\(c.arguments) was accepted")
            for fragment in c.expected {
                XCTAssertTrue(result.standardError.contains(fragment),
                              "\(c.arguments): '\(fragment)' missing from: \(result.standardError)")
            }
            XCTAssertFalse(result.standardError.contains("Fatal error"), result.standardError)
            XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path(out)), "\(c.arguments) left \(out)")
        }
    }

    /// predict reads images from a task file: rows of the wrong length are refused naming --image.
    func testPredictRefusesTaskInputsThatAreNotImages() throws {
        let tasks = try scratch.write("""
            {"train": [{"support": {"x": [[1,2,3]], "y": [[1]]}, "query": {"x": [[3,2,1]], "y": [[0]]}}],
             "test": [{"support": {"x": [[1,1,1]], "y": [[1]]}, "query": {"x": [[0,1,0]]}}]}
            """, to: "tasks.json")
        let result = try CommandRunner.run(["predict", "--tasks", tasks, "--method", "maml", "--depth", "1",
                                            "--activation", "relu", "--conv", "3x3", "--image", "2x2x1",
                                            "--inner", "exact", "--out", "p.csv"], in: scratch.url)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.standardError.contains("--image") && result.standardError.contains("--tasks"),
                      result.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("p.csv")))
    }
}
