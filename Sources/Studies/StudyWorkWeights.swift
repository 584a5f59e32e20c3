import FewShot
import FiniteWidth

/// Relative costs of the units a study reports progress on, in estimated floating-point
/// operations, for `ProgressEstimate`: only their ratios matter (the rate in seconds per unit of
/// weight is measured as the study runs).
public enum StudyWorkWeights {
    /// `closeness`: the units are (seed, depth), seed by seed, depth by depth in `depths`' order.
    /// A seed's kernels at every depth come from one pass through the layers before its first
    /// depth is measured, ≈ 30 operations per pair of points per layer up to the deepest depth
    /// (the dual map and the NTK update); each depth then costs the same measurement: the
    /// support spectra (s³ per task and method), MTL's and GBML's outer solves ((N·q)³ each,
    /// MTL once per ρ) and the predictions at every λτ.
    public static func closeness(depths: [Int], seeds: Int, points: Int, trainTasks: Int, support: Int, query: Int,
                                 innerTimes: Int, headCorrelations: Int, methods: Int) -> [Double] {
        guard let deepest = depths.max() else { return [] }
        let n = Double(points), outer = Double(trainTasks * query)
        let kernels = 30 * n * n * Double(deepest)
        let spectra = Double(methods + 1) * Double(trainTasks) * pow3(Double(support))
        let solves = Double(headCorrelations + methods) * pow3(outer) / 3
        let predictions = Double(innerTimes * methods * headCorrelations) * n * outer
        let measurement = 10 * (spectra + solves) + predictions
        let perSeed = depths.indices.map { measurement + ($0 == 0 ? kernels : 0) }
        return Array(repeating: perSeed, count: max(seeds, 0)).flatMap { $0 }
    }

    /// `convergence`: the units are (width, seed, method), width by width, seed by seed, method by
    /// method. A method's training costs its forward-and-backward passes per outer step times the
    /// steps times the network's weights P(h) = d·h + (L − 1)·h² + h·k (a pass through a dense layer
    /// of P weights: 6·P operations); the empirical kernels before the first method cost about
    /// one pass per point and one P-long inner product per pair of points.
    public static func convergence(widths: [Int], seeds: Int, methods: [FiniteMethod], settings: FiniteSettings,
                                   tasks: TaskSet, depth: Int, outerSteps: Int) -> [Double] {
        let points = Double((tasks.train + tasks.test).reduce(0) { $0 + $1.supportCount + $1.queryCount })
        var weights: [Double] = []
        for width in widths {
            let h = Double(width)
            let parameters = Double(tasks.inputDimension) * h + Double(max(depth - 1, 0)) * h * h + h * Double(tasks.labelWidth)
            for _ in 0..<max(seeds, 0) {
                for (index, method) in methods.enumerated() {
                    let passes = settings.pointPassesPerStep(method, tasks: tasks) ?? points
                    let training = 6 * parameters * passes * Double(max(outerSteps, 1))
                    let kernels = index == 0 ? parameters * (6 * points + 2 * points * points) : 0
                    weights.append(training + kernels)
                }
            }
        }
        return weights
    }

    private static func pow3(_ x: Double) -> Double { x * x * x }
}
