import CNumerics
import Foundation

/// Large binary output written from memory to the device with O_DIRECT: no copy into the page
/// cache (which costs more CPU than computing a kernel on the project's machines, and stalls
/// when other processes fill the cache), no CPU time while the device transfers.
///
/// O_DIRECT moves whole 4 KiB pages between page-aligned memory and page-aligned file offsets,
/// so the data of a range must sit in memory at the same offset modulo 4096 as in the file:
/// `OutputBlockBuffer` places it so. The unaligned head and tail of a range (an .npy header's
/// page, the last partial page) go through the ordinary descriptor.
public enum DirectOutput {
    /// The page size O_DIRECT aligns to.
    public static let pageBytes = 4096

    /// A write-only O_DIRECT descriptor of the existing file `path`, or −1 where the file
    /// system does not offer O_DIRECT (then every write goes through the ordinary descriptor).
    public static func openDirect(_ path: String) -> Int32 {
        ntkb_open_direct(path)
    }

    /// Writes `count` bytes at file offset `offset`: the page-aligned middle through `direct`
    /// (if ≥ 0 and the memory is placed as `OutputBlockBuffer` places it), the rest through
    /// `descriptor`.
    public static func write(_ descriptor: Int32, direct: Int32, _ bytes: UnsafeRawPointer, count: Int, at offset: Int) throws {
        let status = ntkb_write_range(descriptor, direct, bytes, count, Int64(offset))
        guard status == 0 else { throw FileOutputError(reason: String(cString: strerror(status))) }
    }
}

/// Storage for one block of an output matrix that is written at a known file offset: the
/// block's first byte is placed at the file offset's position modulo 4096 within a 2 MiB-aligned
/// allocation, so `DirectOutput.write` can move its whole pages with O_DIRECT. Not zero-filled:
/// the writer of the block first-touches it. Huge pages are advised unless the caller touches
/// only part of it (an upper triangle: then 4 KiB pages keep the untouched half unmapped).
public final class OutputBlockBuffer: @unchecked Sendable {
    private let raw: UnsafeMutableRawPointer
    /// The largest block (bytes) it holds.
    public let capacity: Int

    public init(capacity: Int, hugePages: Bool = true) {
        var memory: UnsafeMutableRawPointer?
        let alignment = 2 << 20
        guard posix_memalign(&memory, alignment, capacity + DirectOutput.pageBytes) == 0, let memory else {
            fatalError("out of memory allocating a \(capacity)-byte output block")
        }
        raw = memory
        self.capacity = capacity
        if hugePages { AllocatorTuning.adviseHugePages(raw, bytes: capacity + DirectOutput.pageBytes) }
    }

    deinit { free(raw) }

    /// Where a block destined for file offset `offset` starts.
    public func start(forFileOffset offset: Int) -> UnsafeMutablePointer<Double> {
        precondition(offset % 8 == 0, "output blocks hold doubles at 8-byte file offsets")
        return (raw + offset % DirectOutput.pageBytes).assumingMemoryBound(to: Double.self)
    }
}
