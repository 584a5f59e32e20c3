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
public enum AtomicOutput {
    /// Writes `data` to a temporary file beside `path`, then renames it to `path`.
    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { handle in handle.write(data) }
    }

    /// Writes a file through `produce`, which gets a handle on a temporary file beside `path`;
    /// the file is renamed to `path` only if `produce` returns normally.
    public static func write(to path: String, _ produce: (FileHandle) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
            throw OutputError.cannotWrite(path: path, reason: writableReason(directory))
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            defer { try? handle.close() }
            try produce(handle)
            try handle.synchronize()
            guard rename(temporary, path) == 0 else {
                throw OutputError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            if error is OutputError { throw error }
            throw OutputError.cannotWrite(path: path, reason: "\(error)")
        }
    }

    /// Creates the folder `path` with the files written by `produce` into the staging folder it
    /// is given. If `path` does not exist, the staging folder is renamed to it, so the folder
    /// appears complete; if it exists, each file is renamed into it. Nothing is left behind if
    /// `produce` throws.
    public static func writeDirectory(at path: String, _ produce: (String) throws -> Void) throws {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let parent = url.deletingLastPathComponent().path
        let fileManager = FileManager.default
        do {
            try fileManager.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw OutputError.cannotWrite(path: path, reason: writableReason(parent))
        }
        let staging = parent + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try fileManager.createDirectory(atPath: staging, withIntermediateDirectories: false)
        } catch {
            throw OutputError.cannotWrite(path: path, reason: writableReason(parent))
        }
        defer { try? fileManager.removeItem(atPath: staging) }
        try produce(staging)
        var isDirectory: ObjCBool = false
        if !fileManager.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            guard rename(staging, url.path) == 0 else {
                throw OutputError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
            }
            return
        }
        guard isDirectory.boolValue else {
            throw OutputError.cannotWrite(path: path, reason: "it exists and is not a folder")
        }
        try moveContents(of: staging, into: url.path)
    }

    /// Renames every entry of `source` into `destination`, replacing entries of the same name.
    private static func moveContents(of source: String, into destination: String) throws {
        let fileManager = FileManager.default
        for name in try fileManager.contentsOfDirectory(atPath: source) {
            let from = source + "/" + name, to = destination + "/" + name
            var isDirectory: ObjCBool = false
            _ = fileManager.fileExists(atPath: from, isDirectory: &isDirectory)
            var targetIsDirectory: ObjCBool = false
            if isDirectory.boolValue, fileManager.fileExists(atPath: to, isDirectory: &targetIsDirectory),
               targetIsDirectory.boolValue {
                try moveContents(of: from, into: to)
                continue
            }
            guard rename(from, to) == 0 else {
                throw OutputError.cannotWrite(path: to, reason: String(cString: strerror(errno)))
            }
        }
    }

    private static func writableReason(_ directory: String) -> String {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            return "the folder \(directory) does not exist"
        }
        if !isDirectory.boolValue { return "\(directory) is not a folder" }
        return "the folder \(directory) is not writable"
    }
}
