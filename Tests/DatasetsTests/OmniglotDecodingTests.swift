import Datasets
import LinearAlgebra
import TestSupport
import XCTest

/// libzip + libpng decoding and the feature map, against facts derived with an independent decoder.
final class OmniglotDecodingTests: XCTestCase {
    func testPixelsAndInkCountsMatchAnIndependentDecoder() throws {
        for drawing in OmniglotFixtures.drawings {
            let archive = try ZipArchive(path: OmniglotFixtures.directory + "/" + drawing.archive)
            let image = try PNGDecoding.grayscale(try archive.contents(of: drawing.entry)).get()
            XCTAssertEqual([image.width, image.height], [105, 105], drawing.entry)
            let ink = OmniglotImage.ink(image)
            XCTAssertEqual(ink.reduce(0) { $0 + Int($1) }, drawing.inkCount, drawing.entry)
            let inked = ink.indices.filter { ink[$0] == 1 }.map { ($0 / 105, $0 % 105) }
            let picks = [inked[0], inked[inked.count / 2], inked[inked.count - 1]]
            XCTAssertEqual(picks.map { [$0.0, $0.1] }, drawing.inkedPixels.map { [$0.0, $0.1] }, drawing.entry)
            // The 1-bit PNG has only two levels, and the corner is background.
            XCTAssertEqual(Set(image.pixels), [0, 255])
            XCTAssertEqual(ink[0], 0)
        }
    }

    /// Block means and standardization: the two decoders sum in different orders, so the
    /// features agree to a few ulps of values of size ~4 (1e-12 leaves a wide margin).
    func testFeaturesMatchAnIndependentDecoder() throws {
        for drawing in OmniglotFixtures.drawings {
            for (size, expected) in [(21, drawing.size21), (7, drawing.size7)] {
                let family = try OmniglotTaskFamily(directory: OmniglotFixtures.directory, imageSize: size, ways: 20, support: 1, query: 1)
                let x = try family.features(of: [drawing.entry])
                XCTAssertEqual([x.rows, x.columns], [1, size * size])
                for (index, value) in expected {
                    XCTAssertEqual(x[0, index], value, accuracy: 1e-12, "\(drawing.entry) S=\(size) [\(index)]")
                }
                let row = x.row(0), n = Double(row.count)
                let mean = row.reduce(0, +) / n
                XCTAssertEqual(mean, 0, accuracy: 1e-12)
                XCTAssertEqual(row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n, 1, accuracy: 1e-12)
            }
        }
    }

    func testBlockMeansOfAHandMadeInkMap() {
        var ink = [UInt8](repeating: 0, count: 105 * 105)
        for row in 0..<35 { for column in 0..<35 { ink[row * 105 + column] = 1 } }   // the top-left block at S = 3
        ink[104 * 105 + 104] = 1                                                       // one pixel of the last block
        let means = OmniglotImage.blockMeans(ink: ink, size: 3)
        XCTAssertEqual(means, [1, 0, 0, 0, 0, 0, 0, 0, 1.0 / 1225])
        XCTAssertNil(OmniglotImage.standardized([0.5, 0.5, 0.5]))
        XCTAssertEqual(OmniglotImage.standardized([0, 1])!, [-1, 1])
    }

    func testDamagedArchivesAndEntriesAreNamed() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        XCTAssertThrowsError(try ZipArchive(path: scratch.path("none.zip"))) {
            XCTAssertEqual($0 as? DatasetError, .missingArchive(archive: scratch.path("none.zip")))
        }
        let truncated = try Data(contentsOf: URL(fileURLWithPath: OmniglotFixtures.directory + "/all_runs.zip")).prefix(5000)
        try truncated.write(to: URL(fileURLWithPath: scratch.path("all_runs.zip")))
        XCTAssertThrowsError(try ZipArchive(path: scratch.path("all_runs.zip"))) {
            guard case .unreadableArchive(let archive, _)? = $0 as? DatasetError else { return XCTFail("\($0)") }
            XCTAssertEqual(archive, scratch.path("all_runs.zip"))
        }
        XCTAssertThrowsError(try ZipArchive(path: OmniglotFixtures.directory + "/all_runs.zip").contents(of: "run21/test/item01.png")) {
            XCTAssertEqual("\($0)", OmniglotFixtures.directory + "/all_runs.zip: has no entry run21/test/item01.png")
        }
        guard case let .failure(failure) = PNGDecoding.grayscale(Array("not a png".utf8)) else { return XCTFail("decoded text") }
        XCTAssertFalse(failure.message.isEmpty)
    }
}
