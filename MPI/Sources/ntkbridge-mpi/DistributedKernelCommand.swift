import Distributed
import Foundation
import InfiniteWidth
import LinearAlgebra
import NTKBridgeCommands
import Reports

/// `ntkbridge-mpi kernel`: every n1 × n2 kernel matrix distributed over an R × C process grid in
/// ScaLAPACK's 2-D block-cyclic layout (blocks nb × nb, `BlockCyclicLayout`). Each process
/// computes only its own tiles (`KernelTiles`: bit-identical to those entries of the serial
/// call) and writes them with one collective MPI-IO call per file into files the root created
/// at full size in a staging folder (`BlockCyclicFile`). The folder is renamed into place by the
/// root only after every process has written (a barrier); if a process dies, mpirun ends the job
/// and nothing is renamed.
enum DistributedKernelCommand {
    static let kinds = ["nngp", "ntk", "head", "body"]

    static func run(_ arguments: [String]) throws {
        var flags = arguments
        let shape = try MPICommands.gridShape(&flags)
        let request = try KernelRequest(arguments: flags)
        let n1 = request.x1.rows, n2 = request.x2?.rows ?? n1
        let tiles = try KernelTiles(request.recursion, request.x1, request.x2, depths: request.depths)
        let grid = ProcessGrid(rows: shape.rows, columns: shape.columns)
        defer { grid.release() }
        let layout = BlockCyclicLayout(rows: n1, columns: n2, blockSize: BlockCyclicLayout.blockSize(
            rows: n1, columns: n2, gridRows: grid.rows, gridColumns: grid.columns), grid: grid)
        Communicator.barrier()
        let start = DispatchTime.now().uptimeNanoseconds, cpuStart = Communicator.cpuSeconds
        // shares.buffers[k·4 + kind]: this process's row-major share of kernel `kind` at depth k.
        let shares = MPICommands.collectively("kernel") { try computeShares(tiles, layout: layout, grid: grid) }
        Communicator.barrier()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        if request.timing {
            // The CPU time of every process, summed: the work, whatever the machine's other load.
            let cpu = Communicator.total(Communicator.cpuSeconds - cpuStart)
            if Communicator.isRoot { print("kernel_seconds: \(seconds)\nkernel_cpu_seconds: \(cpu)") }
        }
        guard let out = request.out else { return }

        let files = request.depths.indices.flatMap { k in kinds.indices.map { (k, $0) } }
        func path(_ staging: String, _ k: Int, _ kind: Int) -> String {
            let folder = request.perDepthFolders ? staging + "/depth-\(request.depths[k])" : staging
            return "\(folder)/\(kinds[kind]).\(request.format.fileExtension)"
        }
        func writeShares(_ staging: String) {
            MPICommands.failIfAsked(at: "write")
            MPICommands.collectively("writing \(out)") {
                for (k, kind) in files {
                    try BlockCyclicFile.write(UnsafeBufferPointer(shares.buffers[k * kinds.count + kind]), layout: layout, gridRow: grid.row,
                                              gridColumn: grid.column, to: path(staging, k, kind), format: request.format)
                }
            }
        }
        if Communicator.isRoot {
            try AtomicOutput.writeDirectory(at: out) { staging in
                MPICommands.collectively("creating \(out)") {
                    for (k, kind) in files {
                        let file = path(staging, k, kind)
                        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent,
                                                                withIntermediateDirectories: true)
                        try ParallelMatrixFile.create(file, format: request.format, rows: n1, columns: n2)
                    }
                }
                _ = Communicator.broadcast(staging)
                Communicator.barrier()
                writeShares(staging)
                Communicator.barrier()
            }
        } else {
            let staging = Communicator.broadcast("")
            Communicator.barrier()
            writeShares(staging)
            Communicator.barrier()
        }
    }

    /// This process's tiles of every kernel, computed straight into its row-major local shares.
    static func computeShares(_ tiles: KernelTiles, layout: BlockCyclicLayout, grid: ProcessGrid) throws -> KernelShares {
        let rowBlocks = layout.rowBlocks(gridRow: grid.row), columnBlocks = layout.columnBlocks(gridColumn: grid.column)
        let width = layout.localColumns(gridColumn: grid.column)
        let shares = KernelShares(count: tiles.depths.count * kinds.count, size: layout.localRows(gridRow: grid.row) * width)
        let slots = KernelKinds.ordered.map(\.kind)
        var li = 0
        for rows in rowBlocks {
            var lj = 0
            for columns in columnBlocks {
                try tiles.compute(rows: rows, columns: columns, rowStride: width) { k, kind in
                    shares.buffers[k * kinds.count + slots.firstIndex(of: kind)!].baseAddress! + li * width + lj
                }
                lj += columns.count
            }
            li += rows.count
        }
        return shares
    }
}

/// A process's row-major local shares, one per (depth, kernel kind), allocated uninitialized:
/// the tiles it computes cover them.
final class KernelShares {
    let buffers: [UnsafeMutableBufferPointer<Double>]

    init(count: Int, size: Int) {
        buffers = (0..<count).map { _ in
            UnsafeMutableBufferPointer(start: .allocate(capacity: max(size, 1)), count: size)
        }
    }

    deinit { buffers.forEach { $0.baseAddress!.deallocate() } }
}
