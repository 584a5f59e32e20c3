/// The `Reports` module writes what the toolkit computes: matrices as CSV or .npy, tidy CSV
/// tables with provenance headers, gnuplot figures, and progress on stderr. Every file and folder
/// appears whole or not at all: it is written under a temporary name and renamed into place.
/// (It implements no formula of theory.md.)
import Foundation

/// A failure to write an output, naming the path.
public enum OutputError: Error, CustomStringConvertible, Equatable {
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotWrite(path, reason): return "cannot write \(path): \(reason)"
        }
    }
}

/// Writes files and folders so that readers never see them half-written.
///
/// - A file is written to a staging file beside it and renamed into place.
/// - A folder is written as one unit: the whole new folder is staged beside it and swapped in
///   with one atomic exchange (`renameat2(RENAME_EXCHANGE)`), so a reader sees the old folder or
///   the new one, never a mix. The folder records the files the toolkit wrote in
///   `.ntkbridge-manifest`; on the next write, those are dropped (stale `depth-*` folders, a
///   `.csv` beside a new `.npy`), entries of the same name are replaced, and every other file —
///   one the toolkit did not write — is carried over unchanged (hard-linked) into the new folder.
/// - Staging of this process is removed on failure and on SIGINT/SIGTERM (`InterruptCleanup`);
///   staging left by a process that no longer exists is removed by the next write into the
///   same place.
public enum AtomicOutput {
    /// The name of the list of toolkit-written files inside an output folder.
    public static let manifestName = ".ntkbridge-manifest"

    /// Writes `data` to a temporary file beside `path`, then renames it to `path`.
    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { handle in handle.write(data) }
    }

    /// Writes a file through `produce`, which gets a handle on a temporary file beside `path`;
    /// the file is renamed to `path` only if `produce` returns normally.
    public static func write(to path: String, _ produce: (FileHandle) throws -> Void) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        StagingRegistry.removeStale(besides: path)
        let temporary = StagingRegistry.stagingPath(for: path)
        StagingRegistry.begin(temporary)
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
            StagingRegistry.end(temporary)
            throw OutputError.cannotWrite(path: path, reason: writableReason(directory))
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            defer { try? handle.close() }
            try produce(handle)
            try handle.synchronize()
            try StagingRegistry.publish(temporary, as: path) {
                guard rename(temporary, path) == 0 else {
                    throw OutputError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
                }
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            StagingRegistry.end(temporary)
            if error is OutputError { throw error }
            throw OutputError.cannotWrite(path: path, reason: "\(error)")
        }
    }

    /// Creates or replaces the folder `path` with the files `produce` writes into the staging
    /// folder it is given, as one unit (see the type's comment). Nothing changes at `path` if
    /// `produce` throws, and nothing is left behind.
    public static func writeDirectory(at path: String, _ produce: (String) throws -> Void) throws {
        let fileManager = FileManager.default
        var target = URL(fileURLWithPath: path).standardizedFileURL.path
        if let resolved = try? fileManager.destinationOfSymbolicLink(atPath: target) {
            target = URL(fileURLWithPath: resolved, relativeTo: URL(fileURLWithPath: target).deletingLastPathComponent())
                .standardizedFileURL.path
        }
        let parent = URL(fileURLWithPath: target).deletingLastPathComponent().path
        do {
            try fileManager.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw OutputError.cannotWrite(path: path, reason: writableReason(parent))
        }
        var isDirectory: ObjCBool = false
        let exists = fileManager.fileExists(atPath: target, isDirectory: &isDirectory)
        if exists, !isDirectory.boolValue { throw OutputError.cannotWrite(path: path, reason: "it exists and is not a folder") }
        StagingRegistry.removeStale(besides: target)
        let staging = StagingRegistry.stagingPath(for: target)
        StagingRegistry.begin(staging)
        defer {
            try? fileManager.removeItem(atPath: staging)
            StagingRegistry.end(staging)
        }
        do {
            try fileManager.createDirectory(atPath: staging, withIntermediateDirectories: false)
        } catch {
            throw OutputError.cannotWrite(path: path, reason: writableReason(parent))
        }
        try produce(staging)
        let written = FolderListing.files(under: staging)
        guard fileManager.createFile(atPath: staging + "/" + manifestName, contents: Data((written.joined(separator: "\n") + "\n").utf8)) else {
            throw OutputError.cannotWrite(path: path, reason: writableReason(parent))
        }
        if exists { try FolderListing.carryOver(from: target, into: staging, dropping: Set(written)) }
        try StagingRegistry.publish(staging, as: path) {
            if !exists {
                guard rename(staging, target) == 0 else {
                    throw OutputError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
                }
            } else {
                try FolderListing.exchange(staging, target, path: path)
            }
        }
        // After an exchange the staging path holds the previous folder: its files are either
        // toolkit outputs being replaced or links to the carried-over files; the defer removes it.
    }

    static func writableReason(_ directory: String) -> String {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            return "the folder \(directory) does not exist"
        }
        if !isDirectory.boolValue { return "\(directory) is not a folder" }
        return "the folder \(directory) is not writable"
    }
}
