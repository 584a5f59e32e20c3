import CMPI
import FewShot
import Foundation
import LinearAlgebra

/// The outer system h(M)·B of `TrainingTime.apply` solved by ScaLAPACK on a process grid, with
/// the same refusals as the serial path:
///
/// - t = ∞: M = LLᵀ by pdpotrf (a failed pivot: not positive definite), the reciprocal
///   condition number by pdpocon (refused below n·ε, as serially), then M⁻¹B by pdpotrs;
/// - finite t: M = V·diag(φ)·Vᵀ by pdsyevd, then V·diag(h(φ))·(VᵀB) by two pdgemm (gradient
///   descent with η·φ_max > 2 refused with the bound).
///
/// M arrives block-cyclically distributed (each process assembled its own blocks, and it is
/// never whole anywhere); B (n × k, k small) arrives whole on every process, and so does the
/// result.
public struct ScaLAPACKSolver: Sendable {
    public let grid: ProcessGrid

    public init(grid: ProcessGrid) { self.grid = grid }

    /// The remedy `TrainingTime.apply` names for a singular outer system.
    public static let remedy = "add --diag-reg r (adds r·mean(diag)·I; try 1e-10 and increase) or train for a finite --meta-time"

    /// nb: at most 64, small enough that every grid row and column gets at least two blocks.
    public func blockSize(_ n: Int) -> Int {
        let side = 2 * max(grid.rows, grid.columns)
        return max(4, min(64, (n + side - 1) / side))
    }

    /// h(M)·B for the schedule `time`; `a` (M, already regularized) is overwritten by its factor.
    public func apply(_ time: TrainingTime, to a: inout BlockCyclicMatrix, _ b: Matrix, matrixName: String,
                      remedy: String = ScaLAPACKSolver.remedy) throws -> Matrix {
        if let (row, column) = a.firstNonFinite() {
            throw LinearAlgebraError.nonFinite(matrix: matrixName, row: row, column: column)
        }
        let start = DispatchTime.now().uptimeNanoseconds, cpuStart = Communicator.cpuSeconds
        defer { ScaLAPACKSolver.reportTime("outer_solve_seconds", since: start, cpuSince: cpuStart, size: a.globalRows) }
        var rhs = BlockCyclicMatrix(scattering: b, grid: grid, blockSize: a.blockSize)
        switch time {
        case .converged:
            try choleskySolve(&a, &rhs, matrixName: matrixName, remedy: remedy)
            return rhs.gathered()
        case .gradientFlow, .gradientDescent:
            return try spectralApply(time, &a, rhs, matrixName: matrixName)
        }
    }

    /// Runs `assemble` on every rank between two barriers (a failure on any rank fails them all,
    /// `Communicator.agreeing`) and reports its wall and CPU time as `outer_assembly_seconds`.
    static func timedAssembly<T>(size: Int, _ assemble: () throws -> T) throws -> T {
        Communicator.barrier()
        let start = DispatchTime.now().uptimeNanoseconds, cpuStart = Communicator.cpuSeconds
        let result = try Communicator.agreeing(assemble)
        Communicator.barrier()
        reportTime("outer_assembly_seconds", since: start, cpuSince: cpuStart, size: size)
        return result
    }

    /// With NTKBRIDGE_MPI_TIMING=1, rank 0 prints `<label>: <wall s> cpu=<CPU s summed over the
    /// processes> n=<n>` (for `make bench-mpi`): outer_assembly_seconds (Φ or Θ_MTL built
    /// block-cyclically), outer_solve_seconds. Collective: every process must call it.
    static func reportTime(_ label: String, since start: UInt64, cpuSince cpuStart: Double, size: Int) {
        guard ProcessInfo.processInfo.environment["NTKBRIDGE_MPI_TIMING"] == "1" else { return }
        let cpu = Communicator.total(Communicator.cpuSeconds - cpuStart)
        guard Communicator.isRoot else { return }
        print("\(label): \(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9) cpu=\(cpu) n=\(size)")
    }

    private func choleskySolve(_ a: inout BlockCyclicMatrix, _ b: inout BlockCyclicMatrix, matrixName: String,
                               remedy: String) throws {
        var n = Int32(a.globalRows), nrhs = Int32(b.globalColumns), one: Int32 = 1, info: Int32 = 0
        let descA = a.descriptor, descB = b.descriptor
        var normWork = [Double](repeating: 0, count: 2 * (a.localRows + a.localColumns) + 4 * a.blockSize + 64)
        let anorm = pdlansy_("1", "L", &n, a.local, &one, &one, descA, &normWork)
        pdpotrf_("L", &n, &a.local, &one, &one, descA, &info)
        if info > 0 {
            throw LinearAlgebraError.notPositiveDefinite(matrix: matrixName, size: Int(n), pivot: Int(info), remedy: remedy)
        }
        guard info == 0 else { throw DistributedError.scalapack(routine: "pdpotrf", info: Int(info)) }
        var rcond = 0.0, anormValue = anorm, query = [0.0], iquery: [Int32] = [0], minusOne: Int32 = -1
        pdpocon_("L", &n, a.local, &one, &one, descA, &anormValue, &rcond, &query, &minusOne, &iquery, &minusOne, &info)
        var lwork = Int32(query[0]) + 1, liwork = max(iquery[0], 1)
        var work = [Double](repeating: 0, count: Int(lwork)), iwork = [Int32](repeating: 0, count: Int(liwork))
        pdpocon_("L", &n, a.local, &one, &one, descA, &anormValue, &rcond, &work, &lwork, &iwork, &liwork, &info)
        guard info == 0 else { throw DistributedError.scalapack(routine: "pdpocon", info: Int(info)) }
        guard rcond > Double(n) * Double.ulpOfOne else {
            throw LinearAlgebraError.numericallySingular(matrix: matrixName, size: Int(n), reciprocalCondition: rcond, remedy: remedy)
        }
        pdpotrs_("L", &n, &nrhs, a.local, &one, &one, descA, &b.local, &one, &one, descB, &info)
        guard info == 0 else { throw DistributedError.scalapack(routine: "pdpotrs", info: Int(info)) }
    }

    private func spectralApply(_ time: TrainingTime, _ a: inout BlockCyclicMatrix, _ b: BlockCyclicMatrix,
                               matrixName: String) throws -> Matrix {
        var n = Int32(a.globalRows), k = Int32(b.globalColumns), one: Int32 = 1, info: Int32 = 0
        var z = BlockCyclicMatrix(grid: grid, rows: a.globalRows, columns: a.globalColumns, blockSize: a.blockSize)
        var w = [Double](repeating: 0, count: Int(n))
        var query = [0.0], iquery: [Int32] = [0], minusOne: Int32 = -1
        let descA = a.descriptor, descZ = z.descriptor
        pdsyevd_("V", "L", &n, &a.local, &one, &one, descA, &w, &z.local, &one, &one, descZ, &query, &minusOne,
                 &iquery, &minusOne, &info)
        var lwork = Int32(query[0]) + 1, liwork = max(iquery[0], 1)
        var work = [Double](repeating: 0, count: Int(lwork)), iwork = [Int32](repeating: 0, count: Int(liwork))
        pdsyevd_("V", "L", &n, &a.local, &one, &one, descA, &w, &z.local, &one, &one, descZ, &work, &lwork,
                 &iwork, &liwork, &info)
        guard info == 0 else { throw LinearAlgebraError.eigendecompositionFailed(matrix: matrixName, info: Int(info)) }
        if case let .gradientDescent(rate, _) = time, let largest = w.max(), rate * largest > 2 {
            throw AdaptationError.divergentRate(parameter: .outerRate, rate: rate, matrix: matrixName, largestEigenvalue: largest)
        }
        // C = Vᵀ·B, C ← diag(h(φ))·C, X = V·C.
        var c = BlockCyclicMatrix(grid: grid, rows: Int(n), columns: Int(k), blockSize: a.blockSize)
        var x = c
        var alpha = 1.0, beta = 0.0
        pdgemm_("T", "N", &n, &k, &n, &alpha, z.local, &one, &one, descZ, b.local, &one, &one, b.descriptor,
                &beta, &c.local, &one, &one, c.descriptor)
        c.scaleRows(by: w.map(time.trainingFunction))
        pdgemm_("N", "N", &n, &k, &n, &alpha, z.local, &one, &one, descZ, c.local, &one, &one, c.descriptor,
                &beta, &x.local, &one, &one, x.descriptor)
        return x.gathered()
    }
}
