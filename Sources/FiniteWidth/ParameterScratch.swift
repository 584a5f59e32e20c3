import Foundation

/// Parameter-sized scratch buffers kept from one outer step to the next, so that a trainer's
/// inner loops allocate nothing of the parameters' size (at width 2048 a parameter vector is
/// 34 MB, above glibc's largest heap block: each fresh one is mapped and page-faulted anew).
///
/// Buffers are lent for the duration of a closure and returned afterwards; the pool is shared
/// by copies of a learner and safe to use from several threads (a borrower takes its buffers
/// out of the pool under a lock, so two never share one).
final class ParameterScratch: @unchecked Sendable {
    /// The length of every buffer.
    let count: Int
    private let lock = NSLock()
    private var idle: [UnsafeMutablePointer<Double>] = []

    init(count: Int) { self.count = count }

    deinit { for buffer in idle { buffer.deallocate() } }

    /// Runs `body` with `n` buffers of `count` entries (contents unspecified).
    func withBuffers<R>(_ n: Int, _ body: ([UnsafeMutablePointer<Double>]) throws -> R) rethrows -> R {
        let lent = take(n)
        defer { giveBack(lent) }
        return try body(lent)
    }

    private func take(_ n: Int) -> [UnsafeMutablePointer<Double>] {
        lock.lock()
        let reused = Array(idle.suffix(n))
        idle.removeLast(reused.count)
        lock.unlock()
        return reused + (reused.count..<n).map { _ in UnsafeMutablePointer<Double>.allocate(capacity: count) }
    }

    private func giveBack(_ buffers: [UnsafeMutablePointer<Double>]) {
        lock.lock()
        idle.append(contentsOf: buffers)
        lock.unlock()
    }
}

/// y ← x for buffers of `count` entries.
func copyParameters(_ x: UnsafePointer<Double>, to y: UnsafeMutablePointer<Double>, count: Int) {
    y.update(from: x, count: count)
}
