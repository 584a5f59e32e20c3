import Foundation

/// A size that a resource estimate grows with, in the paper's terms (the command layer maps each
/// to its flag).
public enum SizeParameter: String, Sendable, CaseIterable {
    case trainTasks = "the number of training tasks N"
    case testTasks = "the number of test tasks M"
    case support = "the support points per task n'"
    case query = "the query points per task n"
    case dimension = "the input dimension d"
    case outputs = "the output columns k"
    case width = "the hidden width h"
    case depth = "the depth L"
    case depthCount = "the number of depths swept"
    case seeds = "the number of seeds"
    case methods = "the number of methods"
    case innerSteps = "the inner-loop steps τ"
    case outerSteps = "the outer steps S"
}

/// An up-front estimate of the memory a command holds and the disk space its outputs take,
/// counted from the matrices it keeps (8 bytes per float64 entry; text outputs at 25 bytes per
/// number). Arithmetic is in Double, so absurd sizes (2⁶² hidden units) give huge estimates, not
/// overflow traps.
public struct ResourceEstimate: Sendable, Equatable {
    public var memoryBytes: Double
    public var diskBytes: Double
    /// The sizes the estimate grows with, the most influential first.
    public var drivenBy: [SizeParameter]

    public init(memoryBytes: Double, diskBytes: Double = 0, drivenBy: [SizeParameter]) {
        self.memoryBytes = memoryBytes
        self.diskBytes = diskBytes
        self.drivenBy = drivenBy
    }

    /// Bytes per float64 entry and per number written as text.
    static let entry = 8.0, textNumber = 25.0

    /// A task set of `points` points, each an input of `dimension` and a label of `outputs` numbers,
    /// held as matrices and once as task-file text.
    public static func taskSet(points: Double, dimension: Double, outputs: Double) -> ResourceEstimate {
        let numbers = points * (dimension + outputs)
        let counts: [SizeParameter] = [.trainTasks, .testTasks, .support, .query]
        let widths: [SizeParameter] = outputs > dimension ? [.outputs, .dimension] : [.dimension, .outputs]
        // Name first whichever factor is the larger: the number of points or the numbers per point.
        return ResourceEstimate(memoryBytes: numbers * (3 * entry + 2 * textNumber), diskBytes: numbers * textNumber,
                                drivenBy: dimension + outputs > points ? widths + counts : counts + widths)
    }

    /// The kernel predictors on P stacked points: the four P × P kernels of each depth held at once
    /// (NNGP, NTK, head, body), the recursion's workspace and the predictor's systems (about six
    /// more P × P matrices), and the per-layer diagonal state (P·L).
    public static func kernelPredictors(points: Double, depths: Double, deepest: Double) -> ResourceEstimate {
        let p = points
        return ResourceEstimate(memoryBytes: entry * (4 * depths * p * p + 6 * p * p + 4 * p * deepest),
                                drivenBy: [.trainTasks, .testTasks, .support, .query, .depthCount, .depth])
    }

    /// The predictors of `predict` from kernel blocks (`TaskKernelBlocks`) on P stacked points, of
    /// which P_train are training points: the outer system (S × S, S = its size: N·n for GBML and
    /// MTL on the query sets), factored in place, the kernel rows of the test points against the
    /// training points (`testCopies` of them: 2 for MTL with a head started from the mean), each
    /// worker's band buffers (five bands of `bandRows` × P), and the per-layer diagonal state.
    public static func blockwisePredictors(points: Double, trainingPoints: Double, outerSize: Double, testCopies: Double,
                                           bandRows: Double, workers: Double, deepest: Double) -> ResourceEstimate {
        let p = points, test = points - trainingPoints
        return ResourceEstimate(memoryBytes: entry * (outerSize * outerSize + testCopies * test * trainingPoints
                                                      + workers * 5 * bandRows * p + 4 * p * deepest),
                                drivenBy: [.trainTasks, .query, .testTasks, .support, .depth])
    }

    /// One finite network trained on P points: its parameters p = d·h + (L−1)·h² + (L+1)·h + h·k
    /// about twelve times (parameters, gradients, Hessian-vector products, the initial network for
    /// centering), the activations and their derivatives (6·P·h·(L+1)), one more copy of both per
    /// inner-loop step τ (MAML's exact meta-gradient unrolls the inner loop), the empirical kernels
    /// at initialisation (8·P²), and the training log (8 numbers per outer step S).
    public static func finiteNetwork(points: Double, dimension: Double, width: Double, depth: Double, outputs: Double,
                                     innerSteps: Double = 1, outerSteps: Double = 1) -> ResourceEstimate {
        let h = width, parameters = dimension * h + (depth - 1) * h * h + (depth + 1) * h + h * outputs
        let activations = 6 * points * h * (depth + 1)
        let terms: [(Double, [SizeParameter])] = [
            (12 * parameters + activations, [.width, .depth]), (innerSteps * (parameters + activations), [.innerSteps, .width]),
            (8 * points * points, [.trainTasks, .support, .query]), (8 * outerSteps, [.outerSteps]),
        ]
        var drivenBy: [SizeParameter] = []
        for (_, parameters) in terms.sorted(by: { $0.0 > $1.0 }) { drivenBy += parameters.filter { !drivenBy.contains($0) } }
        return ResourceEstimate(memoryBytes: entry * terms.reduce(0) { $0 + $1.0 }, drivenBy: drivenBy)
    }

    /// One finite convolutional network (c channels, L layers of Kh·Kw filters on H·W-pixel images
    /// of C channels, F readout features, k outputs) trained on P points: its parameters
    /// p = Σ_l Kh·Kw·C_{l−1}·c + L·c + (F + 1)·k about twelve times, as for the dense network;
    /// each point's patches, pre-activations, slopes and activations for every layer, twice
    /// (the backward pass's patch gradients), once more per inner-loop step τ; the Jacobian of the
    /// empirical kernels at initialisation (P·p) and the kernels (8·P²); the training log.
    public static func finiteConvolutionalNetwork(points: Double, pixels: Double, filterSize: Double, imageChannels: Double,
                                                  channels: Double, depth: Double, features: Double, outputs: Double,
                                                  innerSteps: Double = 1, outerSteps: Double = 1) -> ResourceEstimate {
        let c = channels
        let parameters = filterSize * imageChannels * c + (depth - 1) * filterSize * c * c + depth * c + (features + 1) * outputs
        let perPoint = pixels * (filterSize * imageChannels + 3 * c) + (depth - 1) * pixels * (filterSize * c + 3 * c)
        let activations = 2 * points * perPoint
        let terms: [(Double, [SizeParameter])] = [
            (12 * parameters + activations, [.width, .depth]), (innerSteps * (parameters + activations), [.innerSteps, .width]),
            (points * parameters, [.width, .trainTasks, .support, .query]), (8 * points * points, [.trainTasks, .support, .query]),
            (8 * outerSteps, [.outerSteps]),
        ]
        var drivenBy: [SizeParameter] = []
        for (_, parameters) in terms.sorted(by: { $0.0 > $1.0 }) { drivenBy += parameters.filter { !drivenBy.contains($0) } }
        return ResourceEstimate(memoryBytes: entry * terms.reduce(0) { $0 + $1.0 }, drivenBy: drivenBy)
    }

    /// A text table of `rows` rows of `columns` numbers, held in memory and written once.
    public static func table(rows: Double, columns: Double) -> ResourceEstimate {
        ResourceEstimate(memoryBytes: rows * columns * 3 * textNumber, diskBytes: rows * columns * textNumber, drivenBy: [.seeds])
    }

    /// Both held at once.
    public static func + (a: ResourceEstimate, b: ResourceEstimate) -> ResourceEstimate {
        let larger = a.memoryBytes >= b.memoryBytes ? a : b, smaller = a.memoryBytes >= b.memoryBytes ? b : a
        return ResourceEstimate(memoryBytes: a.memoryBytes + b.memoryBytes, diskBytes: a.diskBytes + b.diskBytes,
                                drivenBy: larger.drivenBy + smaller.drivenBy.filter { !larger.drivenBy.contains($0) })
    }

    /// `count` copies held at once.
    public func times(_ count: Double, _ parameter: SizeParameter) -> ResourceEstimate {
        ResourceEstimate(memoryBytes: memoryBytes * count, diskBytes: diskBytes * count, drivenBy: drivenBy + [parameter])
    }

    /// Refuses the estimate if it needs more memory than is available, or more disk than is free
    /// where `outputFolder` (or its nearest existing ancestor) lives.
    public func check(outputFolder: String? = nil, availableMemory: Double = SystemResources.availableMemory()) throws(ResourceError) {
        guard memoryBytes.isFinite, memoryBytes <= availableMemory else {
            throw .memory(needed: memoryBytes, available: availableMemory, drivenBy: drivenBy)
        }
        if let outputFolder, diskBytes > 0, let free = SystemResources.freeDisk(near: outputFolder), diskBytes > free {
            throw .disk(needed: diskBytes, available: free, folder: outputFolder, drivenBy: drivenBy)
        }
    }
}

/// A request refused up front because it would not fit.
public enum ResourceError: Error, CustomStringConvertible, Equatable {
    case memory(needed: Double, available: Double, drivenBy: [SizeParameter])
    case disk(needed: Double, available: Double, folder: String, drivenBy: [SizeParameter])

    public var description: String { description(naming: { $0.rawValue }) }

    /// The message with each size named by `name` (the command layer passes its flags).
    public func description(naming name: (SizeParameter) -> String) -> String {
        switch self {
        case let .memory(needed, available, drivenBy):
            return "this request needs about \(SystemResources.bytes(needed)) of memory but about "
                + "\(SystemResources.bytes(available)) is available; reduce \(drivenBy.prefix(5).map(name).joined(separator: ", "))"
        case let .disk(needed, available, folder, drivenBy):
            return "the outputs need about \(SystemResources.bytes(needed)) of disk but about \(SystemResources.bytes(available)) "
                + "is free at \(folder); reduce \(drivenBy.prefix(4).map(name).joined(separator: ", ")) or write elsewhere"
        }
    }
}

/// The machine's available memory and free disk.
public enum SystemResources {
    /// MemAvailable from /proc/meminfo (or physical memory), unless `NTKBRIDGE_MEMORY_LIMIT`
    /// (bytes, or with a K, M, G or T suffix) sets a lower limit.
    public static func availableMemory() -> Double {
        var available = Double(ProcessInfo.processInfo.physicalMemory)
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") {
            available = kilobytes * 1024
        }
        if let limit = ProcessInfo.processInfo.environment["NTKBRIDGE_MEMORY_LIMIT"].flatMap(parseBytes) {
            available = min(available, limit)
        }
        return available
    }

    /// `12`, `512M`, `2G`, `1.5T` → bytes, or nil.
    public static func parseBytes(_ text: String) -> Double? {
        let units: [Character: Double] = ["K": 0x1p10, "M": 0x1p20, "G": 0x1p30, "T": 0x1p40]
        let upper = text.uppercased()
        if let last = upper.last, let unit = units[last], let value = Double(upper.dropLast()), value >= 0 { return value * unit }
        return Double(upper).flatMap { $0 >= 0 ? $0 : nil }
    }

    /// Free bytes on the file system holding `path` (or its nearest existing ancestor).
    public static func freeDisk(near path: String) -> Double? {
        var url = URL(fileURLWithPath: path).standardizedFileURL
        while !FileManager.default.fileExists(atPath: url.path) && url.path != "/" { url.deleteLastPathComponent() }
        var info = statvfs()
        guard statvfs(url.path, &info) == 0 else { return nil }
        return Double(info.f_bavail) * Double(info.f_frsize)
    }

    /// 1.2 GB, 340 MB, 5.0e+18 bytes…
    public static func bytes(_ value: Double) -> String {
        guard value.isFinite else { return "an unbounded amount" }
        for (unit, size) in [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)] where value >= size {
            return value >= 1e15 ? String(format: "%.1e bytes", value) : String(format: "%.1f %@", value / size, unit)
        }
        return "\(Int(value)) bytes"
    }
}
