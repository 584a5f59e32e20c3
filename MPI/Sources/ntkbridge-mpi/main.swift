import Distributed
import Foundation
import LinearAlgebra

// ntkbridge-mpi: `kernel` and `predict` with the flags of `ntkbridge`, run under mpirun.
AllocatorTuning.keepFreedMemoryForReuse()
Communicator.start()
let status = MPICommands.run(Array(CommandLine.arguments.dropFirst()))
Communicator.finish()
exit(status)
