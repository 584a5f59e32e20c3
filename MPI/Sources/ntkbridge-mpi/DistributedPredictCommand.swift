import ArgumentParser
import Distributed
import FewShot
import Foundation
import NTKBridgeCommands

/// `ntkbridge-mpi predict`: `ntkbridge predict` on every process, with the outer system (Φ for
/// GBML, Θ_MTL for MTL) factorized and solved by ScaLAPACK on the process grid. Every process
/// ends with the same predictions; rank 0 writes the file.
enum DistributedPredictCommand {
    static func run(_ arguments: [String]) throws {
        var flags = arguments
        var gridShape: String?
        if let k = flags.firstIndex(of: "--grid") {
            guard k + 1 < flags.count else { throw ValidationError("--grid needs a value RxC, e.g. --grid 2x2") }
            gridShape = flags[k + 1]
            flags.removeSubrange(k...(k + 1))
        } else if let k = flags.firstIndex(where: { $0.hasPrefix("--grid=") }) {
            gridShape = String(flags[k].dropFirst(7))
            flags.remove(at: k)
        }
        let shape: (rows: Int, columns: Int)
        do { shape = try ProcessGrid.shape(gridShape, processes: Communicator.size) } catch {
            throw ValidationError("--grid: \(error)")
        }
        // Ranks other than 0 write their (identical) predictions to a private file, then drop it.
        var scratch: String?
        if !Communicator.isRoot {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ntkbridge-mpi-\(getpid())").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            scratch = folder
            if let k = flags.firstIndex(of: "--out"), k + 1 < flags.count {
                flags[k + 1] = folder + "/predictions.csv"
            } else if let k = flags.firstIndex(where: { $0.hasPrefix("--out=") }) {
                flags[k] = "--out=" + folder + "/predictions.csv"
            }
        }
        defer { if let scratch { try? FileManager.default.removeItem(atPath: scratch) } }
        var command = try NTKBridge.parseAsRoot(["predict"] + flags)
        let grid = ProcessGrid(rows: shape.rows, columns: shape.columns)
        defer { grid.release() }
        try OuterSystem.$solver.withValue(ScaLAPACKSolver(grid: grid)) {
            try command.run()
        }
    }
}
