import Foundation

/// The file-level steps of replacing an output folder as one unit (see `AtomicOutput`).
enum FolderListing {
    /// The relative paths of every non-folder entry under `root` (symbolic links not followed),
    /// sorted, the manifest excluded.
    static func files(under root: String) -> [String] {
        var result: [String] = []
        func walk(_ relative: String) {
            let full = relative.isEmpty ? root : root + "/" + relative
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: full) else { return }
            for name in names {
                let child = relative.isEmpty ? name : relative + "/" + name
                if isRealDirectory(root + "/" + child) { walk(child) } else if child != AtomicOutput.manifestName { result.append(child) }
            }
        }
        walk("")
        return result.sorted()
    }

    /// The files listed in a folder's manifest (those the toolkit wrote there), or none.
    static func manifest(of folder: String) -> Set<String> {
        guard let text = try? String(contentsOfFile: folder + "/" + AtomicOutput.manifestName, encoding: .utf8) else { return [] }
        return Set(text.split(separator: "\n").map(String.init))
    }

    /// Hard-links into `staging` every file of the existing folder that the toolkit did not write
    /// (not in its manifest) and that the new output does not replace (not in `dropping`, nor
    /// under a path the new output uses for a file), so that the swap keeps them. Empty folders
    /// are recreated. Throws, naming the file, if one cannot be carried over (the existing folder
    /// is then left as it was).
    static func carryOver(from existing: String, into staging: String, dropping: Set<String>) throws {
        let toolkit = manifest(of: existing)
        let fileManager = FileManager.default
        for relative in files(under: existing) where !toolkit.contains(relative) && !dropping.contains(relative) {
            let destination = staging + "/" + relative
            let folder = URL(fileURLWithPath: destination).deletingLastPathComponent().path
            if fileManager.fileExists(atPath: folder) && !isRealDirectory(folder) { continue }   // replaced by a new file
            try? fileManager.createDirectory(atPath: folder, withIntermediateDirectories: true)
            guard link(existing + "/" + relative, destination) == 0 else {
                throw OutputError.cannotWrite(path: existing, reason: "cannot keep \(relative), which the toolkit did not write, "
                                              + "in the new folder: \(String(cString: strerror(errno))); move it away and rerun")
            }
        }
        for relative in emptyFolders(under: existing) where !fileManager.fileExists(atPath: staging + "/" + relative) {
            try? fileManager.createDirectory(atPath: staging + "/" + relative, withIntermediateDirectories: true)
        }
    }

    /// Swaps the folders `a` and `b` atomically (Linux `renameat2(RENAME_EXCHANGE)`); where the
    /// file system cannot, `b` is moved aside and `a` renamed to it (a reader may then briefly
    /// find no folder, but never a mix).
    static func exchange(_ a: String, _ b: String, path: String) throws {
        if let renameat2 = renameExchange, renameat2(AT_FDCWD, a, AT_FDCWD, b, 2 /* RENAME_EXCHANGE */) == 0 { return }
        let aside = StagingRegistry.stagingPath(for: b, kind: "old")
        guard rename(b, aside) == 0 else {
            throw OutputError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
        guard rename(a, b) == 0 else {
            let reason = String(cString: strerror(errno))
            _ = rename(aside, b)
            throw OutputError.cannotWrite(path: path, reason: reason)
        }
        guard rename(aside, a) == 0 else { return }
    }

    private typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32

    /// glibc's renameat2 (not in Swift's Glibc module), looked up once.
    private static let renameExchange: RenameAt2? = dlsym(nil, "renameat2").map { unsafeBitCast($0, to: RenameAt2.self) }

    private static func emptyFolders(under root: String) -> [String] {
        var result: [String] = []
        func walk(_ relative: String) {
            let full = relative.isEmpty ? root : root + "/" + relative
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: full) else { return }
            if names.isEmpty && !relative.isEmpty { result.append(relative) }
            for name in names where isRealDirectory(full + "/" + name) { walk(relative.isEmpty ? name : relative + "/" + name) }
        }
        walk("")
        return result
    }

    static func isRealDirectory(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }
}
