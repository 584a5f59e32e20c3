import Foundation

/// The staging files and folders this process is writing, and the outputs it has completed, so
/// that an interrupt (SIGINT, SIGTERM) can remove the unfinished ones and say what was kept.
///
/// Staging names are `.<name>.tmp-<pid>-<random>` beside the output `<name>`: the process id in
/// the name lets a later run into the same place recognise staging left by a process that no
/// longer exists (killed with SIGKILL, a power cut) and remove it.
public enum StagingRegistry {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var active: Set<String> = []
    nonisolated(unsafe) private static var completed: [String] = []

    /// A fresh staging path beside `path` (same folder, so a rename moves it into place).
    static func stagingPath(for path: String, kind: String = "tmp") -> String {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        return directory + "/." + url.lastPathComponent + ".\(kind)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    static func begin(_ staging: String) { lock.withLock { _ = active.insert(staging) } }

    /// Runs `publish` (the rename into place) with the registry locked, so an interrupt sees the
    /// staging either unfinished (and removes it) or published (and reports it kept).
    static func publish(_ staging: String, as output: String, _ publish: () throws -> Void) rethrows {
        try lock.withLock {
            try publish()
            active.remove(staging)
            completed.append(output)
        }
    }

    /// Forgets a staging path that was removed after a failure.
    static func end(_ staging: String) { lock.withLock { _ = active.remove(staging) } }

    /// Removes every unfinished staging path; returns them and the outputs completed so far.
    /// The registry stays locked afterwards so that nothing is published while the process exits.
    static func abandonAll() -> (removed: [String], kept: [String]) {
        lock.lock()
        for path in active { try? FileManager.default.removeItem(atPath: path) }
        return (active.sorted(), completed)
    }

    /// Removes the staging entries `.<name>.<kind>-<pid>-*` beside `path` whose process no longer
    /// exists. Live processes' staging (including this one's) is left alone.
    static func removeStale(besides path: String) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names {
            guard let pid = stalePID(name, for: url.lastPathComponent), pid != getpid(), !processExists(pid) else { continue }
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
    }

    /// The process id in a staging name `.<output>.tmp-<pid>-<n>` (or `.old-`), or nil.
    static func stalePID(_ name: String, for output: String) -> pid_t? {
        for kind in ["tmp", "old"] {
            let prefix = "." + output + ".\(kind)-"
            guard name.hasPrefix(prefix) else { continue }
            let parts = name.dropFirst(prefix.count).split(separator: "-")
            if parts.count == 2, let pid = pid_t(parts[0]), pid > 0, UInt32(parts[1]) != nil { return pid }
        }
        return nil
    }

    private static func processExists(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
