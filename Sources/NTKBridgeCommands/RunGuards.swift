import ArgumentParser
import Foundation
import FewShot
import Reports

/// Refusals made before any work starts: outputs that would overwrite an input or each other,
/// and requests too large for the machine's memory or disk.
enum RunGuards {
    /// Refuses an output path (flag, path) that is an input or another output.
    static func refuseCollisions(inputs: [(String, String)], outputs: [(String, String)]) throws {
        do {
            try OutputPaths.checkDistinct(inputs: inputs.map { (role: $0.0, path: $0.1) },
                                          outputs: outputs.map { (role: $0.0, path: $0.1) })
        } catch {
            throw CommandFailure(error.description)
        }
    }

    /// Refuses an input inside an output folder that is replaced as one unit (`kernel --out`).
    static func refuseInputsInside(_ folder: (String, String), inputs: [(String, String)]) throws {
        do {
            try OutputPaths.checkOutside(inputs: inputs.map { (role: $0.0, path: $0.1) }, folder: (role: folder.0, path: folder.1))
        } catch {
            throw CommandFailure(error.description)
        }
    }

    /// The files a folder command writes into `folder`, for the collision check.
    static func folderOutputs(_ flag: String, _ folder: String, files: [String]) -> [(String, String)] {
        [(flag, folder)] + files.map { (flag, folder + "/" + $0) }
    }

    /// Refuses an estimate that does not fit, naming each size by its flag.
    static func refuseOversize(_ estimate: ResourceEstimate, outputFolder: String?, flags: [SizeParameter: String]) throws {
        do {
            try estimate.check(outputFolder: outputFolder)
        } catch {
            throw CommandFailure(error.description(naming: { flags[$0] ?? $0.rawValue }))
        }
    }

    /// The flags of the task-set sizes of `tasks` and `closeness`.
    static let taskFlags: [SizeParameter: String] = [
        .trainTasks: "--train-tasks", .testTasks: "--test-tasks", .support: "--support", .query: "--query",
        .dimension: "--dim", .outputs: "--outputs", .depth: "--depth", .depthCount: "the list --depths",
        .width: "--width", .seeds: "--seeds", .methods: "--methods", .innerSteps: "--inner-steps", .outerSteps: "--meta-steps",
    ]

    /// The flags when the task set comes from a file.
    static let taskFileFlags: [SizeParameter: String] = taskFlags.merging([
        .trainTasks: "the task file's size (--tasks)", .testTasks: "the task file's test tasks",
        .support: "its support sets", .query: "its query sets", .dimension: "its input dimension",
    ]) { $1 }
}

extension RunGuards {
    /// The folder an output file goes to.
    static func folder(of path: String) -> String { URL(fileURLWithPath: path).deletingLastPathComponent().path }

    /// Every support and query point of the task set (the kernels are over all of them).
    static func stackedPoints(_ tasks: TaskSet) -> Double {
        Double((tasks.train + tasks.test).reduce(0) { $0 + $1.supportCount + $1.queryCount })
    }

    /// The kernel predictors of `predict`, `closeness` and `convergence` on a task set, plus the
    /// predictions written (one row of k numbers per test query point).
    static func predictorEstimate(_ tasks: TaskSet, depths: Int, deepest: Int) -> ResourceEstimate {
        let written = Double(tasks.test.reduce(0) { $0 + $1.queryCount }) * Double(tasks.labelWidth + 2)
        return .kernelPredictors(points: stackedPoints(tasks), depths: Double(depths), deepest: Double(deepest))
            + ResourceEstimate(memoryBytes: 0, diskBytes: 25 * written, drivenBy: [.testTasks, .query])
    }

    /// One finite network (dense, or convolutional with --width channels) trained on the task set.
    /// Only the training inner loop's τ steps are held at once (MAML differentiates through them);
    /// test-time adaptation keeps one parameter copy whatever its number of steps.
    static func finiteEstimate(_ tasks: TaskSet, width: Int, run: FiniteRunOptions) -> ResourceEstimate {
        if let convolution = try? run.network.parsedConvolution() {
            let features = convolution.readout == .flatten ? convolution.pixels * width : width
            return .finiteConvolutionalNetwork(
                points: stackedPoints(tasks), pixels: Double(convolution.pixels), filterSize: Double(convolution.filterSize),
                imageChannels: Double(convolution.channels), channels: Double(width), depth: Double(run.depth),
                features: Double(features), outputs: Double(tasks.labelWidth),
                innerSteps: run.innerLoop.innerSteps,
                outerSteps: Double(run.outerLoop.metaSteps ?? 1))
        }
        return .finiteNetwork(points: stackedPoints(tasks), dimension: Double(tasks.inputDimension), width: Double(width),
                       depth: Double(run.depth), outputs: Double(tasks.labelWidth),
                       innerSteps: run.innerLoop.innerSteps,
                       outerSteps: Double(run.outerLoop.metaSteps ?? 1))
    }
}
