/// A raw pointer handed to parallel workers (`ParallelLoop`) that write disjoint entries of one
/// buffer: the project's one `@unchecked Sendable` pointer wrapper. The caller keeps the buffer
/// alive and guarantees that no two workers write the same entry.
public struct SharedPointer<Element>: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Element>
    public init(_ base: UnsafeMutablePointer<Element>) { self.base = base }
}
