import Foundation

/// A warning on standard error, one line, after which the command goes on:
/// `ntkbridge <command>: warning: <message>`.
enum CommandWarning {
    static func print(_ command: String, _ message: String) {
        FileHandle.standardError.write(Data("ntkbridge \(command): warning: \(message)\n".utf8))
    }
}
