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

    /// The diagonal block X̄_i × X̄_i of every kernel of each training task, then of each test
    /// task (support and query points), cut from blocks over groups of `groupSize` consecutive
    /// tasks computed on the workers (one kernel call per group instead of per task);
    /// `training: false` leaves the training tasks out.
    func taskBlocks(training: Bool = true, groupSize: Int = 4) throws -> (train: [NetworkKernels], test: [NetworkKernels]) {
        let trainRows = training ? points.trainQuery.indices.map(points.trainTask) : [], testRows = points.testQuery.indices.map(points.testTask)
        let groups = [trainRows, testRows].flatMap { rows in
            stride(from: 0, to: rows.count, by: groupSize).map { Array(rows[$0..<min($0 + groupSize, rows.count)]) }
        }
        let blocks = try WorkerPool.map(count: groups.count) { g in
            let ranges = groups[g], all = ranges.first!.lowerBound..<ranges.last!.upperBound
            let kernels = try block(rows: all, columns: all)
            return ranges.map { range in
                let local = (range.lowerBound - all.lowerBound)..<(range.upperBound - all.lowerBound)
                return kernels.block(rows: local, columns: local)
            }
        }.flatMap { $0 }
        return (Array(blocks[..<trainRows.count]), Array(blocks[trainRows.count...]))
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

    /// [transform(0), …, transform(count − 1)], computed by the workers; throws the error of the
    /// first failing index (the one a serial loop would have met first).
    static func map<T: Sendable>(count: Int, _ transform: @Sendable (Int) throws -> T) throws -> [T] {
        let slots = ResultSlots<T>(count: count)
        try forEach(count: count, bufferSizes: []) { i, _ in slots.store(i, Result { try transform(i) }) }
        return try slots.values()
    }

    private final class ResultSlots<T>: @unchecked Sendable {
        private let results: UnsafeMutablePointer<Result<T, Error>?>
        private let count: Int
        init(count: Int) {
            self.count = count
            results = .allocate(capacity: max(count, 1))
            results.initialize(repeating: nil, count: count)
        }
        deinit {
            results.deinitialize(count: count)
            results.deallocate()
        }
        /// Each index is written by one worker only.
        func store(_ i: Int, _ result: Result<T, Error>) { results[i] = result }
        func values() throws -> [T] { try (0..<count).map { try results[$0]!.get() } }
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
