import ArgumentParser
import Foundation
import Reports

/// `ntkbridge plot DIR`: re-draws every figure of a results folder from the gnuplot scripts
/// (data included) that were written beside them.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Re-render the figures of a results folder from their gnuplot scripts.",
        discussion: """
            Every figure written by closeness, convergence and cost has its gnuplot script, data inline, beside \
            it as NAME.gp. This re-draws NAME.png and NAME.svg from each NAME.gp in DIR (not its subfolders), \
            for example after editing a script's labels or style by hand.
            """)

    @Argument(help: ArgumentHelp("The results folder.", valueName: "DIR"))
    var directory: String

    func run() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CommandFailure("plot: \(directory) is not a folder")
        }
        let scripts = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".gp") }.sorted()
        guard !scripts.isEmpty else { throw CommandFailure("plot: \(directory) has no figure scripts (*.gp)") }
        for script in scripts {
            let path = (directory as NSString).appendingPathComponent(script)
            do { try LinePlot.rerender(scriptAt: path) } catch { throw CommandFailure("plot: \(error)") }
            print("plot: \(path) → \(script.dropLast(3)).png, .svg")
        }
    }
}
