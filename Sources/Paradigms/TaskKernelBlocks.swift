import FewShot
import Foundation
import InfiniteWidth
import LinearAlgebra

/// Blocks of the kernels on a task set's stacked points (`StackedPoints`), computed on demand,
/// each bit-identical to those entries of `TaskKernels` (one symmetric call on every point), for
/// the predictors that read only some blocks and never hold an n × n kernel
/// (`MetaTrainedGBML.predictions(tasks:blocks:settings:)`, `TrainedMTL.predictions(tasks:blocks:settings:)`).
///
/// Backed by `KernelTiles`: the per-point work is done once; a block costs only its own pairs.
public struct TaskKernelBlocks: Sendable {
    public let points: StackedPoints
    private let tiles: KernelTiles

    /// Whether blocks of `recursion`'s kernels are computed pair by pair, bit-identical to the
    /// whole matrix (fully connected, closed-form or quadrature dual maps). Otherwise
    /// `KernelTiles` computes the whole kernels once, and the whole-matrix predictors are cheaper.
    public static func applies(to recursion: KernelRecursion) -> Bool { recursion.supportsBands }

    public init(tasks: TaskSet, recursion: KernelRecursion) throws {
        points = StackedPoints(tasks)
        tiles = try KernelTiles(recursion, points.inputs, depths: [recursion.architecture.depth])
    }

    /// Rows `rows` × columns `columns` of every kernel.
    public func block(rows: Range<Int>, columns: Range<Int>) throws -> NetworkKernels {
        try tiles.tile(rows: rows, columns: columns)[0]
    }

    /// The diagonal block X̄ × X̄ of every kernel for each training task, then each test task.
    func taskBlocks() throws -> (train: [NetworkKernels], test: [NetworkKernels]) {
        (try points.trainQuery.indices.map { try block(rows: points.trainTask($0), columns: points.trainTask($0)) },
         try points.testQuery.indices.map { try block(rows: points.testTask($0), columns: points.testTask($0)) })
    }

    /// Writes rows `rows` × columns `columns` of the kernels `targets` names, entry (i, j) at
    /// `pointer + (i − rows.lowerBound)·rowStride + (j − columns.lowerBound)`. The other kinds are
    /// computed alongside and written to `scratch` (as large as a target; the kinds share it).
    func compute(_ targets: [KernelKinds: UnsafeMutablePointer<Double>], rows: Range<Int>, columns: Range<Int>,
                 rowStride: Int, scratch: UnsafeMutablePointer<Double>) throws {
        try tiles.compute(rows: rows, columns: columns, rowStride: rowStride) { _, kind in targets[kind] ?? scratch }
    }
}

/// Work items run on all cores by a fixed set of workers, each with its own buffers (allocated
/// once per worker and reused for all its items, so fresh memory is touched once): items are
/// taken in order from a shared counter, so items of decreasing cost balance themselves.
enum WorkerPool {
    /// Calls `body(item, buffers)` for every item of `0..<count`; `buffers` are the worker's
    /// `bufferSizes.count` buffers of those sizes (uninitialized). OpenBLAS is single-threaded
    /// inside. Rethrows the first error after all workers stop.
    static func forEach(count: Int, bufferSizes: [Int],
                        _ body: @Sendable (Int, [UnsafeMutablePointer<Double>]) throws -> Void) throws {
        let state = SharedState()
        let workers = min(count, ParallelLoop.workerCount)
        BLASBackend.withThreadCount(1) {
            ParallelLoop.forEachChunk(count: workers) { chunk in
                let buffers = bufferSizes.map { UnsafeMutablePointer<Double>.allocate(capacity: max($0, 1)) }
                defer { buffers.forEach { $0.deallocate() } }
                for _ in chunk {
                    while let item = state.next(below: count) {
                        do { try body(item, buffers) } catch { state.fail(error); return }
                    }
                }
            }
        }
        if let error = state.error { throw error }
    }

    private final class SharedState: @unchecked Sendable {
        private let lock = NSLock()
        private var counter = 0
        private(set) var error: Error?

        func next(below count: Int) -> Int? {
            lock.withLock {
                guard error == nil, counter < count else { return nil }
                defer { counter += 1 }
                return counter
            }
        }

        func fail(_ error: Error) { lock.withLock { if self.error == nil { self.error = error } } }
    }
}
