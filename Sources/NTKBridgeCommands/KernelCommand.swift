import ArgumentParser
import Foundation
import InfiniteWidth
import LinearAlgebra
import Reports

/// `ntkbridge kernel`: the NNGP, NTK, head and body kernels of a network (theory.md §1).
struct KernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel",
        abstract: "Infinite-width NNGP, NTK, head (K) and body (Θ − K) kernels of a deep fully connected network.",
        discussion: """
            Writes DIR/nngp.csv, DIR/ntk.csv, DIR/head.csv and DIR/body.csv (or .npy; --kernels picks \
            which): comma-separated, no header, one row per --x1 point, one column per --x2 point (per \
            --x1 point if --x2 is omitted), every value in shortest round-trip form. With --depths, one \
            folder DIR/depth-<L> per depth, all from one pass through the layers.
            Input files: .npy (float64 or float32, C or Fortran order; recognised by content) or text \
            with one point per row, numbers separated by commas or blanks, no header; blank lines and \
            lines starting with # are skipped.
            Past memory: --memory-limit SIZE computes in blocks of rows written straight into the files; \
            --rows a:b computes rows a..b-1 only (bit-identical to those rows of the whole matrix). \
            Requests that do not fit in memory or on disk are refused before any work.
            """)

    @Option(help: ArgumentHelp("Inputs X1, one point per row (.csv/.txt or .npy).", valueName: "A.csv"))
    var x1: String

    @Option(help: ArgumentHelp("Inputs X2 (default: X1, a symmetric kernel with exact diagonal).", valueName: "B.csv"))
    var x2: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("L, the number of hidden layers.", valueName: "L"))
    var depth: Int?

    @Option(help: ArgumentHelp("Several depths from one pass, e.g. 1,2,4,8 (instead of --depth).", valueName: "list"))
    var depths: String?

    @OptionGroup var network: ArchitectureOptions

    @OptionGroup var integration: QuadratureOptions

    @Option(help: ArgumentHelp("The files' format.", valueName: "format"))
    var format: MatrixFileFormat = .csv

    @Option(help: ArgumentHelp("Which kernels to compute and write (a comma-separated list).", valueName: "list"))
    var kernels = ValueList(KernelName.allCases)

    @Option(help: ArgumentHelp("Only rows a..b-1 (0-based, b exclusive): a (b-a)×n matrix per kernel.", valueName: "a:b"))
    var rows: String?

    @Option(help: ArgumentHelp("Compute in blocks of rows within this much memory, e.g. 512MiB, 2GiB.", valueName: "SIZE"))
    var memoryLimit: String?

    @Option(help: ArgumentHelp("Output folder (may be omitted with --timing).", valueName: "DIR"))
    var out: String?

    @Flag(help: "Print 'kernel_seconds: <s>', the computation alone without I/O, on stdout.")
    var timing = false

    func validate() throws {
        guard (depth == nil) != (depths == nil) else {
            throw ValidationError("give exactly one of --depth L and --depths list")
        }
        guard out != nil || timing else { throw ValidationError("--out DIR is required (it may be omitted with --timing)") }
        if let memoryLimit, ByteSize.parse(memoryLimit) == nil {
            throw ValidationError("--memory-limit: '\(memoryLimit)' is not a size (e.g. 512MiB, 2GiB, 1.5GB)")
        }
    }

    func requestedKinds() -> KernelKinds {
        var kinds: KernelKinds = []
        for name in kernels.elements { kinds.insert(KernelKinds.ordered.first { $0.name == name.rawValue }!.kind) }
        return kinds
    }

    /// The rows of --rows a:b within the n points of X1.
    func requestedRows(count n: Int) throws -> Range<Int> {
        guard let rows else { return 0..<n }
        let parts = rows.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = Int(parts[0].trimmingCharacters(in: .whitespaces)),
              let b = Int(parts[1].trimmingCharacters(in: .whitespaces)) else {
            throw CommandFailure("--rows: '\(rows)' is not a range a:b of row indices (e.g. 5000:5100)")
        }
        guard 0 <= a, a < b, b <= n else {
            throw CommandFailure("--rows \(rows): need 0 ≤ a < b ≤ \(n) (--x1 holds \(n) points)")
        }
        return a..<b
    }

    func run() throws {
        let requestedDepths = try depths.map { try parsePositiveIntegers($0, flag: "--depths") } ?? [depth!]
        if let depth, depth < 1 { throw ValidationError("--depth must be at least 1, got \(depth)") }
        let architecture = try network.architecture(depth: requestedDepths.max()!)
        let recursion = KernelRecursion(architecture, quadrature: integration.rule)
        network.warnWidthIgnored(by: "kernel")
        if let out { try RunGuards.refuseInputsInside(("--out", out), inputs: [("--x1", x1)] + (x2.map { [("--x2", $0)] } ?? [])) }
        let first = try Matrix(matrixFile: x1)
        let second = try x2.map { try Matrix(matrixFile: $0) }
        try network.checkInputDimension(first.columns, of: "--x1 \(x1)")
        if let second { try network.checkInputDimension(second.columns, of: "--x2 \(x2!)") }
        if let second, second.columns != first.columns {
            throw CommandFailure("--x2 \(x2!) has \(second.columns) columns but --x1 \(x1) has \(first.columns): "
                                  + "the input dimensions must agree")
        }
        var headIsNNGP = true
        if case .standard = architecture.parameterization { headIsNNGP = false }
        let plan = KernelPlan(kinds: requestedKinds(), headIsNNGP: headIsNNGP, depths: Array(Set(requestedDepths)).sorted(),
                              rows: try requestedRows(count: first.rows), columns: second?.rows ?? first.rows,
                              format: format,
                              inputBytes: 8 * (first.elements.count + (second?.elements.count ?? 0)))
        let blockRows = try plan.blockRows(memoryLimit: memoryLimit.flatMap(ByteSize.parse),
                                           available: ByteSize.availableMemory(), flags: flagsForMessages)
        if let out { try plan.checkDisk(free: ByteSize.freeDisk(near: out), folder: out) }
        if !recursion.rowBlocksAreBitIdentical && (rows != nil || blockRows < plan.rows.count) {
            let warning = "ntkbridge: warning: with --activation \(network.activation) the rows computed in blocks agree "
                + "with the whole matrix to round-off (about 1e-16 relative), not bit for bit (Docs/kernels.md, Scale)\n"
            FileHandle.standardError.write(Data(warning.utf8))
        }
        let writer = KernelWriter(plan: plan, blockRows: blockRows, depthFolders: depths != nil)
        let seconds: Double
        if let out {
            var total = 0.0
            try AtomicOutput.writeDirectory(at: out) { staging in
                total = try writer.run(recursion, first, second, into: staging)
            }
            seconds = total
        } else {
            seconds = try writer.run(recursion, first, second, into: nil)
        }
        if timing { print("kernel_seconds: \(seconds)") }
    }

    private var flagsForMessages: String { memoryLimit.map { "--memory-limit \($0)" } ?? "" }
}

/// What one `kernel` run produces: kernels × depths matrices of rows.count × columns.
struct KernelPlan {
    let kinds: KernelKinds
    /// NTK parameterization: the head kernel equals the NNGP kernel, computed once for both files.
    let headIsNNGP: Bool
    let depths: [Int]
    let rows: Range<Int>
    let columns: Int
    let format: MatrixFileFormat
    let inputBytes: Int

    /// The kernels computed: head is written from the NNGP matrix when they are equal.
    var computedKinds: KernelKinds { headIsNNGP && kinds.isSuperset(of: [.nngp, .head]) ? kinds.subtracting(.head) : kinds }
    /// Matrices held in memory, and files written.
    var matrixCount: Int { computedKinds.names.count * depths.count }
    var fileCount: Int { kinds.names.count * depths.count }
    /// Bytes of one output row of every matrix.
    var rowBytes: Int { matrixCount * columns * 8 }
    /// Scratch beside the outputs: per worker six rows and one 32-row block of inner products,
    /// plus the per-point variances of every layer, plus the runtime itself.
    var workingBytes: Int { ParallelLoop.workerCount * 38 * columns * 8 + 4 * 8 * depths.last! * (rows.upperBound + columns) + (32 << 20) }
    /// Bytes the files take (CSV: about 21 bytes per value, shortest round-trip text).
    var diskBytes: Int { fileCount * (rows.count * columns * (format == .npy ? 8 : 21) + 128) }

    /// The rows computed per block: all of them in memory, or as many as --memory-limit allows.
    /// Refuses, naming the size needed and the flag that would fit, before any work.
    func blockRows(memoryLimit: Int?, available: Int?, flags: String) throws -> Int {
        let whole = rowBytes * rows.count
        let fixed = inputBytes + workingBytes
        if let memoryLimit {
            let rowsThatFit = (memoryLimit - fixed) / rowBytes
            guard rowsThatFit >= 1 else {
                throw CommandFailure("\(flags) is too small: one row of the \(matrixCount) output matrices takes "
                    + "\(ByteSize.describe(rowBytes)) beside \(ByteSize.describe(fixed)) for the inputs and working "
                    + "buffers; give at least --memory-limit \(ByteSize.flagValue(fixed + rowBytes * 64))")
            }
            if let available, min(memoryLimit, whole + fixed) > available {
                throw CommandFailure("\(flags) exceeds the \(ByteSize.describe(available)) of memory available; "
                    + "give a smaller --memory-limit")
            }
            return min(rows.count, rowsThatFit)
        }
        if let available, whole + fixed > available {
            let suggestion = max(256 << 20, min(available / 2, 4 << 30))
            throw CommandFailure("the \(matrixCount) kernel matrices of \(rows.count)×\(columns) need "
                + "\(ByteSize.describe(whole + fixed)) of memory, but \(ByteSize.describe(available)) is available; "
                + "compute in blocks of rows with --memory-limit \(ByteSize.flagValue(suggestion)) "
                + "(or fewer with --kernels, or part of the rows with --rows a:b)")
        }
        return rows.count
    }

    /// Refuses before any work if the files would not fit on the disk holding `folder`.
    func checkDisk(free: Int?, folder: String) throws {
        guard let free, diskBytes > free else { return }
        throw CommandFailure("the output needs about \(ByteSize.describe(diskBytes)) of disk, but the file system of "
            + "\(folder) has \(ByteSize.describe(free)) free; write fewer kernels (--kernels), fewer rows (--rows a:b)"
            + (format == .csv ? ", or .npy (--format npy, 8 bytes per value)" : "") + ", or write elsewhere (--out)")
    }
}

/// Computes the plan's rows in blocks and writes each block at its place in the files.
struct KernelWriter {
    let plan: KernelPlan
    let blockRows: Int
    let depthFolders: Bool

    /// Computes (and, with a folder, writes) every block; returns the compute seconds.
    func run(_ recursion: KernelRecursion, _ x1: Matrix, _ x2: Matrix?, into folder: String?) throws -> Double {
        let names = plan.kinds.names
        let kinds = KernelKinds.ordered.filter { plan.computedKinds.contains($0.kind) }
        /// Per file: the depth index and the slot of the matrix it is written from.
        var sources: [(depth: Int, slot: Int)] = []
        var files: [Int32] = []
        /// Per file: its O_DIRECT descriptor for .npy output, or −1.
        var directFiles: [Int32] = []
        defer { (files + directFiles).filter { $0 >= 0 }.forEach { close($0) } }
        let header = NPYHeader.encoded(rows: plan.rows.count, columns: plan.columns)
        let dataOffset = plan.format == .npy ? header.count : 0
        if let folder {
            for depth in plan.depths {
                let directory = depthFolders ? folder + "/depth-\(depth)" : folder
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                for name in names {
                    let kind = KernelKinds.ordered.first { $0.name == name }!.kind
                    let computed = kind == .head && !plan.computedKinds.contains(.head) ? KernelKinds.nngp : kind
                    sources.append((plan.depths.firstIndex(of: depth)!, kinds.firstIndex { $0.kind == computed }!))
                    let path = "\(directory)/\(name).\(plan.format.fileExtension)"
                    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                    guard descriptor >= 0 else { throw OutputError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
                    files.append(descriptor)
                    directFiles.append(plan.format == .npy ? DirectOutput.openDirect(path) : -1)
                    if plan.format == .npy {
                        try header.withUnsafeBytes { try FileDescriptorOutput.writeAll(descriptor, $0.baseAddress!, count: $0.count) }
                    }
                }
            }
        }
        // A whole symmetric kernel is computed in upper-triangle storage where nothing reads it
        // whole in memory: without files (--timing alone), and in bands to .npy, each band
        // expanded into a staging buffer as it is written. The untouched lower half is never mapped.
        let whole = x2 == nil && plan.rows == 0..<x1.rows && blockRows == plan.rows.count
        let bands = whole && plan.format == .npy && !files.isEmpty && recursion.supportsBands
        let upperOnly = whole && (files.isEmpty || bands)
        // One buffer per computed matrix, each block placed at its file offset's page position
        // so that .npy output goes to the device with O_DIRECT, straight from where it was computed.
        let buffers = (0..<(kinds.count * plan.depths.count)).map { _ in
            OutputBlockBuffer(capacity: blockRows * plan.columns * 8, hugePages: !upperOnly)
        }
        if bands {
            return try writeInBands(recursion, x1, buffers: buffers, kinds: kinds.map(\.kind), sources: sources,
                                    files: files, directFiles: directFiles, dataOffset: dataOffset)
        }
        var seconds = 0.0
        for start in stride(from: plan.rows.lowerBound, to: plan.rows.upperBound, by: blockRows) {
            let rows = start..<min(plan.rows.upperBound, start + blockRows)
            let size = rows.count * plan.columns
            let fileOffset = dataOffset + (start - plan.rows.lowerBound) * plan.columns * 8
            let begin = DispatchTime.now().uptimeNanoseconds
            if upperOnly {
                for buffer in buffers { AllocatorTuning.populateUpperTriangle(buffer.start(forFileOffset: fileOffset), size: plan.columns) }
            }
            try recursion.compute(x1, x2, depths: plan.depths, kinds: plan.computedKinds, rows: rows,
                                  symmetricStorage: upperOnly ? .upperTriangle : .full) { depthIndex, kind in
                buffers[depthIndex * kinds.count + kinds.firstIndex { $0.kind == kind }!].start(forFileOffset: fileOffset)
            }
            seconds += Double(DispatchTime.now().uptimeNanoseconds - begin) * 1e-9
            for (index, source) in sources.enumerated() {
                let matrix = UnsafePointer(buffers[source.depth * kinds.count + source.slot].start(forFileOffset: fileOffset))
                switch plan.format {
                case .npy: try DirectOutput.write(files[index], direct: directFiles[index], matrix, count: size * 8, at: fileOffset)
                case .csv: try MatrixFileFormat.writeCSV(matrix, rows: rows.count, columns: plan.columns, to: files[index])
                }
            }
        }
        return seconds
    }

    /// A whole symmetric kernel to .npy: computed in upper-triangle storage in bands of rows from
    /// the top; a writer thread expands each band into whole rows (a staging buffer per matrix,
    /// reused) and writes them (O_DIRECT) while the next band is computed, so the device's time
    /// hides behind the computation. Returns the compute seconds (the bands, not the writes).
    private func writeInBands(_ recursion: KernelRecursion, _ x: Matrix, buffers: [OutputBlockBuffer], kinds: [KernelKinds],
                              sources: [(depth: Int, slot: Int)], files: [Int32], directFiles: [Int32],
                              dataOffset: Int) throws -> Double {
        let columns = plan.columns
        let writer = BandWriter()
        let starts = buffers.map { SharedPointer($0.start(forFileOffset: dataOffset)) }
        let bandRows = 256
        let staging = buffers.map { _ in OutputBlockBuffer(capacity: bandRows * columns * 8) }
        var seconds = 0.0
        var begin = DispatchTime.now().uptimeNanoseconds
        for start in starts { AllocatorTuning.populateUpperTriangle(start.base, size: columns) }
        // The queued writes read the buffers: wait for them on every way out.
        defer { try? writer.finish() }
        try recursion.computeInBands(x, depths: plan.depths, kinds: plan.computedKinds, bandRows: bandRows) { depthIndex, kind in
            starts[depthIndex * kinds.count + kinds.firstIndex(of: kind)!].base
        } bandFinished: { band in
            seconds += Double(DispatchTime.now().uptimeNanoseconds - begin) * 1e-9
            let offset = dataOffset + band.lowerBound * columns * 8
            let jobs = zip(files, directFiles).enumerated().map { index, descriptors in
                let matrix = sources[index].depth * kinds.count + sources[index].slot
                return (descriptors.0, descriptors.1, starts[matrix], staging[matrix])
            }
            writer.enqueue {
                var expanded: Set<ObjectIdentifier> = []   // head and nngp may share one matrix
                for (descriptor, direct, upper, buffer) in jobs {
                    let rows = buffer.start(forFileOffset: offset)
                    if expanded.insert(ObjectIdentifier(buffer)).inserted {
                        Matrix.expandUpperTriangle(upper.base, size: columns, rows: band, into: rows)
                    }
                    try DirectOutput.write(descriptor, direct: direct, rows, count: band.count * columns * 8, at: offset)
                }
            }
            begin = DispatchTime.now().uptimeNanoseconds
        }
        try writer.finish()
        return seconds
    }
}

/// Writes queued in order on one background thread (the device works while the cores compute);
/// the first failure is kept and rethrown by `finish`, and later writes are skipped.
private final class BandWriter: @unchecked Sendable {
    private let queue = DispatchQueue(label: "ntkbridge.kernel.band-writer")
    private let lock = NSLock()
    private var failure: Error?

    func enqueue(_ write: @escaping @Sendable () throws -> Void) {
        queue.async {
            guard self.lock.withLock({ self.failure == nil }) else { return }
            do { try write() } catch { self.lock.withLock { self.failure = error } }
        }
    }

    /// Waits for every queued write; throws the first failure.
    func finish() throws {
        queue.sync {}
        if let failure = lock.withLock({ failure }) { throw failure }
    }
}
