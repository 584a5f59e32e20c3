import Dispatch
import LinearAlgebra

/// The feature vectors of a set of Omniglot entries: each distinct entry is extracted once (on
/// the calling thread, libzip handles are not shared) and decoded on all cores.
struct OmniglotFeatureTable {
    let dimension: Int
    private let rowOfEntry: [String: Int]
    private let features: [Double]

    /// Extracts and decodes the distinct entries: each worker opens its own archive handles
    /// (libzip handles are not shared between threads) and takes a contiguous share.
    init(entries: [String], imageSize: Int, directory: String) throws(DatasetError) {
        var unique: [String] = [], row: [String: Int] = [:]
        for entry in entries where row[entry] == nil {
            row[entry] = unique.count
            unique.append(entry)
        }
        let d = imageSize * imageSize, count = unique.count
        let values = UnsafeMutableBufferPointer<Double>.allocate(capacity: count * d)
        let failures = UnsafeMutableBufferPointer<DatasetError?>.allocate(capacity: count)
        failures.initialize(repeating: nil)
        defer { values.deallocate(); failures.deinitialize(); failures.deallocate() }
        let output = DecodingSlots(values: values, failures: failures)
        let names = unique, workers = max(1, min(ParallelLoop.workerCount, count / 64))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var archives = OmniglotArchiveSet(directory: directory)
            for i in (count * worker / workers)..<(count * (worker + 1) / workers) {
                let result: Result<[Double], DatasetError>
                do throws(DatasetError) {
                    let archive = try archives.archive(holding: names[i])
                    result = OmniglotFeatureTable.decode(try archive.contents(of: names[i]), archive: archive.path, entry: names[i],
                                                         imageSize: imageSize)
                } catch {
                    result = .failure(error)
                }
                switch result {
                case let .success(x): for j in 0..<d { output.values[i * d + j] = x[j] }
                case let .failure(error): output.failures[i] = error
                }
            }
        }
        if let failure = failures.lazy.compactMap({ $0 }).first { throw failure }
        dimension = d
        rowOfEntry = row
        features = Array(values)
    }

    /// The feature vectors of the entries as the rows of a matrix.
    func matrix(_ entries: [String]) -> Matrix {
        var elements: [Double] = []
        elements.reserveCapacity(entries.count * dimension)
        for entry in entries {
            let start = rowOfEntry[entry]! * dimension
            elements += features[start..<(start + dimension)]
        }
        return Matrix(rows: entries.count, columns: dimension, elements: elements)
    }

    /// PNG bytes → 105 × 105 ink map → S × S block means → standardized vector.
    static func decode(_ bytes: [UInt8], archive: String, entry: String, imageSize: Int) -> Result<[Double], DatasetError> {
        switch PNGDecoding.grayscale(bytes) {
        case let .failure(failure):
            return .failure(.invalidEntry(archive: archive, entry: entry, reason: "is not a readable PNG image (libpng: \(failure.message))"))
        case let .success(image):
            guard image.width == OmniglotImage.side, image.height == OmniglotImage.side else {
                return .failure(.invalidEntry(archive: archive, entry: entry, reason: "is \(image.width)×\(image.height) pixels, "
                    + "expected \(OmniglotImage.side)×\(OmniglotImage.side)"))
            }
            let means = OmniglotImage.blockMeans(image, size: imageSize)
            guard let x = OmniglotImage.standardized(means) else {
                return .failure(.invalidEntry(archive: archive, entry: entry, reason: "is uniform at \(imageSize)×\(imageSize) "
                    + "(no ink, or only ink), so it cannot be standardized"))
            }
            return .success(x)
        }
    }
}

/// Output slots written by the decoding workers, each index by one worker only.
private struct DecodingSlots: @unchecked Sendable {
    let values: UnsafeMutableBufferPointer<Double>
    let failures: UnsafeMutableBufferPointer<DatasetError?>
}
