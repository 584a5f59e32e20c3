import Distributed
import Foundation
import InfiniteWidth
import LinearAlgebra
import NTKBridgeCommands
import Reports

/// `ntkbridge-mpi kernel`: rows in blocks dealt cyclically to the processes (block-cyclic on a
/// P × 1 grid); each process computes its row blocks and writes them into the output files,
/// which the root created at full size in a staging folder. The folder is renamed into place by
/// the root only after every process has written (a barrier); if a process dies, mpirun ends
/// the job and nothing is renamed.
enum DistributedKernelCommand {
    static func run(_ arguments: [String]) throws {
        let request = try KernelRequest(arguments: arguments)
        let rank = Communicator.rank, size = Communicator.size
        let n1 = request.x1.rows, n2 = request.x2?.rows ?? n1
        let blocks = RowBlocks(count: n1, processes: size)
        Communicator.barrier()
        let start = DispatchTime.now().uptimeNanoseconds
        let myBlocks = blocks.blocks(of: rank)
        let mine = MPICommands.collectively("kernel") {
            Array(zip(myBlocks, try KernelRows.kernels(request.recursion, request.x1, request.x2, depths: request.depths,
                                                       blocks: myBlocks.map(blocks.range(ofBlock:)))))
        }
        Communicator.barrier()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        if request.timing, Communicator.isRoot { print("kernel_seconds: \(seconds)") }
        guard let out = request.out else { return }

        let files = request.depths.indices.flatMap { k in
            ["nngp", "ntk", "head", "body"].map { name in (k, name) }
        }
        func path(_ staging: String, _ k: Int, _ name: String) -> String {
            let folder = request.perDepthFolders ? staging + "/depth-\(request.depths[k])" : staging
            return "\(folder)/\(name).\(request.format.fileExtension)"
        }
        func writeMine(_ staging: String) {
            MPICommands.failIfAsked(at: "write")
            MPICommands.collectively("writing \(out)") {
                for (b, kernels) in mine {
                    for (k, name) in files {
                        let matrix: Matrix
                        switch name {
                        case "nngp": matrix = kernels[k].nngp
                        case "ntk": matrix = kernels[k].ntk
                        case "head": matrix = kernels[k].head
                        default: matrix = kernels[k].body
                        }
                        try ParallelMatrixFile.write(matrix, rows: blocks.range(ofBlock: b), blockIndex: b,
                                                     to: path(staging, k, name), format: request.format, totalRows: n1)
                    }
                }
            }
        }
        if Communicator.isRoot {
            try AtomicOutput.writeDirectory(at: out) { staging in
                MPICommands.collectively("creating \(out)") {
                    for (k, name) in files {
                        let file = path(staging, k, name)
                        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent,
                                                                withIntermediateDirectories: true)
                        try ParallelMatrixFile.create(file, format: request.format, rows: n1, columns: n2)
                    }
                }
                _ = Communicator.broadcast(staging)
                Communicator.barrier()
                writeMine(staging)
                Communicator.barrier()
                MPICommands.collectively("joining \(out)") {
                    for (k, name) in files {
                        try ParallelMatrixFile.finish(path(staging, k, name), format: request.format, blockCount: blocks.blockCount)
                    }
                }
            }
        } else {
            let staging = Communicator.broadcast("")
            Communicator.barrier()
            writeMine(staging)
            Communicator.barrier()
        }
    }
}
