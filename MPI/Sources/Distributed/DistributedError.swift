/// Why a distributed computation was refused.
public enum DistributedError: Error, CustomStringConvertible, Equatable {
    /// A square process grid was asked for (`--grid square`) and `processes` is not a perfect square.
    case notSquare(processes: Int)
    /// A process grid whose shape does not multiply to the number of processes.
    case gridMismatch(rows: Int, columns: Int, processes: Int)
    case malformedGrid(String)
    case scalapack(routine: String, info: Int)
    case io(path: String, reason: String)
    /// A step failed on another process (which printed why).
    case failedElsewhere

    public var description: String {
        switch self {
        case let .notSquare(p):
            let below = Int(Double(p).squareRoot()), above = below + 1
            return "a square process grid needs a square number of processes (1, 4, 9, 16, …), got \(p); "
                + "run with \(below * below)\(below * below == p ? "" : " or \(above * above)") processes, "
                + "or give the grid shape with --grid RxC (R·C = \(p), e.g. --grid 1x\(p)), or omit --grid for the most nearly square one"
        case let .gridMismatch(r, c, p):
            return "the process grid \(r)x\(c) holds \(r * c) processes but the job has \(p); give R·C = \(p)"
        case let .malformedGrid(text):
            return "'\(text)' is not a grid: expected RxC (two positive integers, e.g. 2x2) or square"
        case let .scalapack(routine, info):
            return "ScaLAPACK \(routine) failed with info = \(info)"
        case let .io(path, reason):
            return "cannot write \(path): \(reason)"
        case .failedElsewhere:
            return "the distributed computation failed on another process (its message is above)"
        }
    }
}
