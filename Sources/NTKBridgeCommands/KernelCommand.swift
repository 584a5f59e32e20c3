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
            Writes DIR/nngp.csv, DIR/ntk.csv, DIR/head.csv and DIR/body.csv (or .npy): comma-separated, \
            no header, one row per --x1 point, one column per --x2 point (per --x1 point if --x2 is \
            omitted), every value in shortest round-trip form. With --depths, one folder DIR/depth-<L> \
            per depth, all from one pass through the layers.
            Input files: one point per row, comma-separated numbers, no header; blank lines and lines \
            starting with # are skipped.
            """)

    @Option(help: ArgumentHelp("Inputs X1, one point per row.", valueName: "A.csv"))
    var x1: String

    @Option(help: ArgumentHelp("Inputs X2 (default: X1, a symmetric kernel with exact diagonal).", valueName: "B.csv"))
    var x2: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("L, the number of hidden layers.", valueName: "L"))
    var depth: Int?

    @Option(help: ArgumentHelp("Several depths from one pass, e.g. 1,2,4,8 (instead of --depth).", valueName: "list"))
    var depths: String?

    @OptionGroup var network: ArchitectureOptions

    @Option(help: ArgumentHelp("csv or npy.", valueName: "format"))
    var format: String = "csv"

    @Option(help: ArgumentHelp("Output folder (may be omitted with --timing).", valueName: "DIR"))
    var out: String?

    @Flag(help: "Print 'kernel_seconds: <s>', the computation alone without I/O, on stdout.")
    var timing = false

    func validate() throws {
        guard (depth == nil) != (depths == nil) else {
            throw ValidationError("give exactly one of --depth L and --depths list")
        }
        guard out != nil || timing else { throw ValidationError("--out DIR is required (it may be omitted with --timing)") }
        guard MatrixFileFormat(rawValue: format) != nil else {
            throw ValidationError("--format must be csv or npy, got '\(format)'")
        }
    }

    func run() throws {
        let requestedDepths = try depths.map { try parsePositiveIntegers($0, flag: "--depths") } ?? [depth!]
        if let depth, depth < 1 { throw ValidationError("--depth must be at least 1, got \(depth)") }
        let architecture = try network.architecture(depth: requestedDepths.max()!)
        let recursion = KernelRecursion(architecture, quadrature: try network.quadratureRule())
        if let out { try RunGuards.refuseInputsInside(("--out", out), inputs: [("--x1", x1)] + (x2.map { [("--x2", $0)] } ?? [])) }
        let first = try Matrix(csvFile: x1)
        let second = try x2.map { try Matrix(csvFile: $0) }
        if let second, second.columns != first.columns {
            throw CommandFailure("--x2 \(x2!) has \(second.columns) columns but --x1 \(x1) has \(first.columns): "
                                  + "the input dimensions must agree")
        }
        let start = DispatchTime.now()
        let kernels = try recursion.kernels(first, second, depths: requestedDepths)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) * 1e-9
        if timing { print("kernel_seconds: \(seconds)") }
        guard let out else { return }
        let fileFormat = MatrixFileFormat(rawValue: format)!
        try AtomicOutput.writeDirectory(at: out) { staging in
            for k in kernels {
                let folder = depths == nil ? staging : staging + "/depth-\(k.depth)"
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                for (name, matrix) in [("nngp", k.nngp), ("ntk", k.ntk), ("head", k.head), ("body", k.body)] {
                    try fileFormat.write(matrix, to: "\(folder)/\(name).\(fileFormat.fileExtension)")
                }
            }
        }
    }
}
