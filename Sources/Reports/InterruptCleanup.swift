import Foundation

/// On SIGINT or SIGTERM: removes the staging files and folders of unfinished outputs, prints one
/// line on stderr saying what was removed and what was kept, and exits with 128 + the signal
/// number (130, 143). Outputs already renamed into place are complete and stay; a resumable
/// sweep continues from them when rerun.
public enum InterruptCleanup {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// Installs the handlers (once, at the start of the process); `label` starts the message.
    public static func install(label: String) {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { interrupted(by: signalNumber, label: label) }
            source.resume()
            sources.append(source)
        }
    }

    private static func interrupted(by signalNumber: Int32, label: String) {
        let (removed, kept) = StagingRegistry.abandonAll()
        let name = signalNumber == SIGINT ? "SIGINT" : "SIGTERM"
        FileHandle.standardError.write(Data((message(signal: name, label: label, removed: removed, kept: kept) + "\n").utf8))
        _exit(128 + signalNumber)
    }

    /// The one line printed on an interrupt.
    static func message(signal: String, label: String, removed: [String], kept: [String]) -> String {
        let removedText = removed.isEmpty ? "no unfinished output to remove"
            : "removed \(removed.count) unfinished staging \(removed.count == 1 ? "entry" : "entries")"
        let unique = Array(NSOrderedSet(array: kept).array as! [String])
        let keptText = unique.isEmpty ? "kept nothing (no output was complete)"
            : "kept \(unique.count) complete output\(unique.count == 1 ? "" : "s"): " + unique.joined(separator: ", ")
        return "\(label): interrupted by \(signal); \(removedText); \(keptText)"
    }
}
