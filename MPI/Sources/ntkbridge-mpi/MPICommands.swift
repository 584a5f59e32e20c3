import ArgumentParser
import Distributed
import FewShot
import Foundation
import NTKBridgeCommands

/// The subcommands of `ntkbridge-mpi`. Errors met by every process alike (flags, inputs, a
/// singular system) are printed once, by rank 0, and end every process with the serial
/// command's exit status; an error on some processes only ends the whole job (MPI_Abort).
enum MPICommands {
    static let usage = """
        USAGE: mpirun -np P ntkbridge-mpi <subcommand> <flags of ntkbridge <subcommand>>

          kernel    the kernels of `ntkbridge kernel`, distributed block-cyclically over an R × C process grid,
                    each process computing and writing (MPI-IO) its own tiles, bit-identical to the serial command
          predict   `ntkbridge predict` with Φ or Θ_MTL assembled block-cyclically (each process its own
                    blocks) and solved by ScaLAPACK (pdpotrf/pdpotrs, or pdsyevd for finite times)

        Both take --grid RxC (R·C = P) or --grid square (P = 1, 4, 9, … only); by default the most
        nearly square R × C with R ≤ C (2 → 1x2, 3 → 1x3, 4 → 2x2, 6 → 2x3).

        See Docs/scaling.md.
        """

    static func run(_ arguments: [String]) -> Int32 {
        guard let subcommand = arguments.first, ["kernel", "predict"].contains(subcommand) else {
            if Communicator.isRoot { print(usage) }
            return arguments.first.map { ["-h", "--help", "help"].contains($0) } == true ? 0 : 64
        }
        let rest = Array(arguments.dropFirst())
        do {
            if subcommand == "kernel" { try DistributedKernelCommand.run(rest) } else { try DistributedPredictCommand.run(rest) }
            return 0
        } catch {
            let refusal = NTKBridge.refusal(for: error)
            if Communicator.isRoot { FileHandle.standardError.write(Data((refusal.message + "\n").utf8)) }
            return refusal.status
        }
    }

    /// Removes `--grid RxC` / `--grid square` from `flags` and returns the grid shape for this job's
    /// process count (the most nearly square R × C when it is not given).
    static func gridShape(_ flags: inout [String]) throws -> (rows: Int, columns: Int) {
        var given: String?
        if let k = flags.firstIndex(of: "--grid") {
            guard k + 1 < flags.count else { throw ValidationError("--grid needs a value RxC, e.g. --grid 2x2, or square") }
            given = flags[k + 1]
            flags.removeSubrange(k...(k + 1))
        } else if let k = flags.firstIndex(where: { $0.hasPrefix("--grid=") }) {
            given = String(flags[k].dropFirst(7))
            flags.remove(at: k)
        }
        do { return try ProcessGrid.shape(given, processes: Communicator.size) } catch {
            throw ValidationError("--grid: \(error)")
        }
    }

    /// Runs `body`; an error ends the whole job (it may have happened on this process only).
    static func collectively<T>(_ what: String, _ body: () throws -> T) -> T {
        do { return try body() } catch {
            FileHandle.standardError.write(Data("ntkbridge-mpi (rank \(Communicator.rank)): \(what): \(error)\n".utf8))
            Communicator.abort(1)
        }
    }

    /// Test hook: NTKBRIDGE_MPI_FAIL_RANK=r makes rank r die at `stage` (exit without MPI_Finalize),
    /// to check that a dead rank fails the job with no output renamed into place.
    static func failIfAsked(at stage: String) {
        let environment = ProcessInfo.processInfo.environment
        guard let rank = environment["NTKBRIDGE_MPI_FAIL_RANK"].flatMap(Int.init), rank == Communicator.rank,
              (environment["NTKBRIDGE_MPI_FAIL_STAGE"] ?? "write") == stage else { return }
        FileHandle.standardError.write(Data("ntkbridge-mpi (rank \(rank)): dying at \(stage) as asked\n".utf8))
        exit(3)
    }
}
