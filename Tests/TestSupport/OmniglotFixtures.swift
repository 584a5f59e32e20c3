import CZip
import Foundation

/// The Omniglot archives shipped in Experiments/data/omniglot, and facts about them derived
/// with an independent decoder (Python's zipfile and zlib with a hand-written PNG unfilter, run
/// once when the tests were written; nothing here comes from the toolkit).
public enum OmniglotFixtures {
    public static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Experiments/data/omniglot").path

    /// A decoded drawing's facts: its ink count at 105 × 105, inked pixels (row, column) — the
    /// first, the middle and the last in row-major order — and standardized features.
    public struct Drawing: Sendable {
        public let archive: String
        public let entry: String
        public let inkCount: Int
        public let inkedPixels: [(Int, Int)]
        /// (index, value) pairs of the S = 21 feature vector.
        public let size21: [(Int, Double)]
        /// (index, value) pairs of the S = 7 feature vector.
        public let size7: [(Int, Double)]
    }

    public static let drawings = [
        Drawing(archive: "images_background_small1.zip", entry: "images_background_small1/Balinese/character01/0108_01.png",
                inkCount: 881, inkedPixels: [(29, 64), (51, 29), (67, 36)],
                size21: [(0, -0.3619949198471992), (220, 3.805671904227876), (203, 4.168077715017012)],
                size7: [(24, 2.5115846148158343), (0, -0.5505613450243221)]),
        Drawing(archive: "all_runs.zip", entry: "run01/training/class01.png",
                inkCount: 1147, inkedPixels: [(29, 54), (53, 42), (78, 71)],
                size21: [(0, -0.4269751279508338), (220, -0.4269751279508338), (136, 3.6771232030499874)],
                size7: [(24, 0.0453840578840781), (0, -0.6673783896543287)]),
        Drawing(archive: "images_background_small2.zip", entry: "images_background_small2/Tagalog/character17/0909_20.png",
                inkCount: 896, inkedPixels: [(20, 75), (40, 88), (67, 33)],
                size21: [(0, -0.36236930360924824), (220, 0.351045262871459), (99, 4.096471736895172)],
                size7: [(24, 1.5690965292259067), (0, -0.5771389532784944)]),
    ]

    /// The class (0-based) of test/item01 … item20 of each run, from its class_labels.txt.
    public static let runLabels: [[Int]] = [
        "7 8 1 18 9 17 12 0 3 10 16 2 19 6 11 4 5 14 13 15",
        "19 2 4 14 3 5 16 1 6 8 10 7 12 17 15 18 0 9 11 13",
        "11 7 19 1 0 16 4 9 13 14 12 18 8 2 6 15 5 17 3 10",
        "14 3 0 12 6 8 10 13 4 18 2 17 15 5 19 16 1 7 11 9",
        "7 4 6 18 13 15 9 10 8 19 2 0 11 14 1 5 12 17 16 3",
        "19 17 18 5 16 3 4 8 14 1 12 10 0 9 7 11 13 2 6 15",
        "11 9 8 2 16 0 1 15 19 12 13 4 17 10 18 3 5 14 6 7",
        "15 4 1 19 6 3 18 16 0 9 11 17 14 7 2 12 8 13 10 5",
        "17 9 12 8 3 5 1 14 13 7 16 4 10 6 0 15 18 2 11 19",
        "19 11 12 13 18 3 16 4 9 5 17 15 0 10 2 14 6 8 7 1",
        "8 15 13 16 12 1 18 4 10 3 14 5 19 0 9 6 17 2 7 11",
        "14 4 15 19 2 17 13 11 1 5 6 3 7 0 10 18 16 8 12 9",
        "2 12 5 8 10 11 7 9 14 4 19 6 17 18 15 0 3 1 13 16",
        "17 11 12 0 13 14 9 5 4 8 1 6 16 15 7 19 2 3 18 10",
        "18 11 1 10 8 14 13 15 9 16 7 17 0 6 19 5 2 3 12 4",
        "4 19 9 5 14 7 2 15 3 16 11 0 6 12 17 18 1 8 10 13",
        "2 11 18 5 0 15 6 19 17 4 1 9 3 14 16 8 13 12 7 10",
        "5 17 3 15 1 8 11 7 2 14 16 9 13 4 10 18 19 0 6 12",
        "11 12 2 1 6 19 9 8 15 5 14 0 13 17 16 10 3 18 7 4",
        "15 3 16 17 8 9 5 2 11 10 1 6 0 14 7 4 18 13 12 19",
    ].map { $0.split(separator: " ").map { Int($0)! } }

    /// Copies the three archives into `folder` (so that a test may damage its copies).
    public static func copyArchives(to folder: String) throws {
        for name in ["images_background_small1.zip", "images_background_small2.zip", "all_runs.zip"] {
            try FileManager.default.copyItem(atPath: directory + "/" + name, toPath: folder + "/" + name)
        }
    }
}

/// Rewrites one entry of a zip archive (with libzip), to make damaged test data.
public enum ZipSurgery {
    public static func replace(entry: String, in archive: String, with bytes: [UInt8]) throws {
        var code: Int32 = 0
        guard let handle = zip_open(archive, 0, &code) else { throw SurgeryError(message: "cannot open \(archive): \(code)") }
        let index = zip_name_locate(handle, entry, 0)
        guard index >= 0 else { zip_discard(handle); throw SurgeryError(message: "no entry \(entry)") }
        let buffer = malloc(max(bytes.count, 1))!
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        guard let source = zip_source_buffer(handle, buffer, UInt64(bytes.count), 1),
              zip_file_replace(handle, UInt64(index), source, 0) == 0, zip_close(handle) == 0 else {
            throw SurgeryError(message: "cannot rewrite \(entry) in \(archive)")
        }
    }

    public struct SurgeryError: Error { public let message: String }
}
